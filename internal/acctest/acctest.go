// Package acctest holds helpers for acceptance tests against the local Keystone and Glance
// that testenv/testenv.sh starts.
package acctest

import (
	"context"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// NamePrefix starts the name of every image an acceptance test creates, so leftovers are easy
// to find.
const NamePrefix = "tf-acc-"

// PreCheck fails the test (it does not skip it) when the test environment is missing: an
// acceptance run that silently tests nothing must not pass.
func PreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		// Like resource.Test: acceptance tests run only when asked for. make testacc sets
		// TF_ACC and fails the run if any test is skipped.
		t.Skip("TF_ACC is not set")
	}
	for _, k := range []string{"OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "GLANCE_ACC_PUBLIC_ENDPOINT", "GLANCE_ACC_WEB_DIR"} {
		if os.Getenv(k) == "" {
			t.Fatalf("%s is not set: start the test environment with `make testenv-up` and load .testenv/env/acctest.env (make testacc does both)", k)
		}
	}
}

// Env returns a variable of the test environment, failing the test when it is unset.
func Env(t *testing.T, key string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" && os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set")
	}
	if v == "" {
		t.Fatalf("%s is not set; run the tests through make testacc", key)
	}
	return v
}

// User is one of the test environment's users.
type User string

// The users testenv.sh creates.
const (
	Admin User = "ADMIN"
	Demo  User = "DEMO"
	Alt   User = "ALT"
)

// Credentials returns the user name, password and project name of u.
func (u User) Credentials(t *testing.T) (username, password, project string) {
	t.Helper()
	if u == Admin {
		return Env(t, "OS_USERNAME"), Env(t, "OS_PASSWORD"), Env(t, "OS_PROJECT_NAME")
	}
	return Env(t, "GLANCE_ACC_"+string(u)+"_USERNAME"), Env(t, "GLANCE_ACC_"+string(u)+"_PASSWORD"), Env(t, "GLANCE_ACC_"+string(u)+"_PROJECT")
}

// ProjectID returns the id of u's project.
func (u User) ProjectID(t *testing.T) string {
	t.Helper()
	return Env(t, "GLANCE_ACC_PROJECT_ID_"+string(u))
}

// ProviderBlock renders a provider "glance" block with u's password credentials, with an
// alias when alias is not empty. Extra HCL lines can be added with extra.
func (u User) ProviderBlock(t *testing.T, alias string, extra ...string) string {
	t.Helper()
	name, pass, project := u.Credentials(t)
	var b strings.Builder
	b.WriteString("provider \"glance\" {\n")
	if alias != "" {
		fmt.Fprintf(&b, "  alias = %q\n", alias)
	}
	fmt.Fprintf(&b, "  auth_url = %q\n  username = %q\n  password = %q\n  project_name = %q\n", Env(t, "OS_AUTH_URL"), name, pass, project)
	b.WriteString("  user_domain_name = \"Default\"\n  project_domain_name = \"Default\"\n")
	for _, e := range extra {
		b.WriteString("  " + e + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

var (
	clientsMu sync.Mutex
	clients   = map[User]*glance.Client{}
	providers = map[User]*gophercloud.ProviderClient{}
)

// Token returns a Keystone token of u, scoped to u's project.
func Token(t *testing.T, u User) string {
	t.Helper()
	Client(t, u)
	clientsMu.Lock()
	defer clientsMu.Unlock()
	return providers[u].Token()
}

// Client returns a Glance client authenticated as u, talking to the admin (/glance-prefixed)
// endpoint like the provider does by default. Checks use it to see what Glance really holds.
func Client(t *testing.T, u User) *glance.Client {
	t.Helper()
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[u]; ok {
		return c
	}
	name, pass, project := u.Credentials(t)
	pc, err := openstack.AuthenticatedClient(context.Background(), gophercloud.AuthOptions{
		IdentityEndpoint: Env(t, "OS_AUTH_URL"),
		Username:         name,
		Password:         pass,
		DomainName:       "Default",
		AllowReauth:      true,
		Scope:            &gophercloud.AuthScope{ProjectName: project, DomainName: "Default"},
	})
	if err != nil {
		t.Fatalf("authenticating as %s: %v", name, err)
	}
	c, err := glance.New(Env(t, "GLANCE_ACC_ADMIN_ENDPOINT"), pc, glance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clients[u] = c
	providers[u] = pc
	return c
}

// ClientAt returns a Glance client authenticated as u for another Glance of the test
// environment (such as GLANCE_ACC_PLAIN_ENDPOINT, which has its own database).
func ClientAt(t *testing.T, u User, endpoint string) *glance.Client {
	t.Helper()
	Client(t, u)
	clientsMu.Lock()
	pc := providers[u]
	clientsMu.Unlock()
	c, err := glance.New(endpoint, pc, glance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RandomName returns a unique image name with the acceptance-test prefix.
func RandomName(kind string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return NamePrefix + kind + "-" + hex.EncodeToString(b)
}

// WriteRandomFile writes size random bytes to a new file in dir (t.TempDir() when dir is
// empty) and returns its path and sha512 hex digest.
func WriteRandomFile(t *testing.T, dir string, size int64) (string, string) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	f, err := os.CreateTemp(dir, "img-*.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	h := sha512.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil))
}

// WebFile writes content under the test web server's directory and returns its URL. The file is
// removed when the test ends.
func WebFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(Env(t, "GLANCE_ACC_WEB_DIR"), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(p) })
	return strings.TrimRight(Env(t, "GLANCE_ACC_WEB_URL"), "/") + "/" + name
}

// ExternalProvider is the terraform block for tests that run the provider binary (built by
// scripts/testacc.sh and found through dev_overrides) instead of serving it in-process. Such
// tests set no provider factories. They are needed when a configuration has several
// provider blocks with different credentials: an in-process provider is one server shared
// by all of them, while terraform runs one process per provider configuration in real use.
const ExternalProvider = `terraform {
  required_providers {
    glance = {
      source = "glance-provider/glance"
    }
  }
}
`

// ApplicationCredential creates an application credential of u with a random secret and
// returns its id and secret; it is deleted when the test ends.
func ApplicationCredential(t *testing.T, u User) (id, secret string) {
	t.Helper()
	Client(t, u)
	clientsMu.Lock()
	pc := providers[u]
	clientsMu.Unlock()
	result, ok := pc.GetAuthResult().(tokens.CreateResult)
	if !ok {
		t.Fatalf("unexpected Keystone auth result %T", pc.GetAuthResult())
	}
	user, err := result.ExtractUser()
	if err != nil {
		t.Fatal(err)
	}
	identity, err := openstack.NewIdentityV3(pc, gophercloud.EndpointOpts{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	cred, err := applicationcredentials.Create(ctx, identity, user.ID, applicationcredentials.CreateOpts{
		Name:   RandomName("appcred"),
		Secret: "appcred-" + hex.EncodeToString(b),
	}).Extract()
	if err != nil {
		t.Fatalf("creating an application credential: %v", err)
	}
	t.Cleanup(func() { _ = applicationcredentials.Delete(ctx, identity, user.ID, cred.ID).ExtractErr() })
	return cred.ID, cred.Secret
}

// Terraform runs the terraform CLI (as a user would, not through the test harness) in dir
// with the environment plus extra ("KEY=value"), and returns its combined output. The CLI is
// the one the test harness runs: TF_ACC_TERRAFORM_PATH (make testacc-tofu sets it to
// OpenTofu), else terraform on PATH. The provider binary comes from the dev_overrides of
// scripts/testacc.sh (see ExternalProvider).
func Terraform(t *testing.T, dir string, extra []string, args ...string) (string, error) {
	t.Helper()
	bin, err := CLIPath()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TF_CLI_CONFIG_FILE") == "" {
		t.Fatal("TF_CLI_CONFIG_FILE is not set: run the tests through make testacc, which writes the dev_overrides config")
	}
	cmd := exec.CommandContext(t.Context(), bin, append(args, "-no-color")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	cmd.Env = append(cmd.Env, extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// CLIPath returns the Terraform CLI the tests run, chosen as terraform-plugin-testing chooses
// it: TF_ACC_TERRAFORM_PATH when set, else terraform on PATH.
func CLIPath() (string, error) {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p, nil
	}
	bin, err := exec.LookPath("terraform")
	if err != nil {
		return "", fmt.Errorf("terraform is not on PATH and TF_ACC_TERRAFORM_PATH is not set")
	}
	return bin, nil
}
