package provider

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// attributes lists the attributes of errs, for comparing with a want list.
func attributes(errs []settingError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.attribute)
	}
	return out
}

func TestStringOr_precedence(t *testing.T) {
	env := envMap(map[string]string{"A": "from-a", "B": "from-b", "EMPTY": ""})
	for name, tc := range map[string]struct {
		arg   *string
		names []string
		want  string
	}{
		"argument wins":              {new("arg"), []string{"A"}, "arg"},
		"an empty argument wins too": {new(""), []string{"A"}, ""},
		"first set variable":         {nil, []string{"EMPTY", "MISSING", "B", "A"}, "from-b"},
		"nothing set":                {nil, []string{"MISSING"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := stringOr(tc.arg, env, tc.names...); got != tc.want {
				t.Errorf("stringOr = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBoolOr_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		arg     *bool
		env     string
		want    bool
		wantErr bool
	}{
		"argument wins over env": {arg: new(false), env: "true", want: false},
		"env parsed":             {env: "1", want: true},
		"unset":                  {want: false},
		"not a boolean":          {env: "maybe", wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := boolOr(tc.arg, envMap(map[string]string{"OS_INSECURE": tc.env}), "OS_INSECURE")
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("boolOr = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), `OS_INSECURE="maybe"`) {
				t.Errorf("error %q does not name the variable and its value", err)
			}
		})
	}
}

func TestGroupOr_blockWinsAsAGroup(t *testing.T) {
	env := envMap(map[string]string{"OS_PROJECT_NAME": "env-name", "OS_PROJECT_ID": "env-id"})
	for name, tc := range map[string]struct {
		name, id         *string
		wantName, wantID string
	}{
		"block name hides env id": {new("mine"), nil, "mine", ""},
		"block id hides env name": {nil, new("id"), "", "id"},
		"empty block falls back":  {new(""), nil, "env-name", "env-id"},
		"nothing in block":        {nil, nil, "env-name", "env-id"},
	} {
		t.Run(name, func(t *testing.T) {
			n, id := groupOr(env, field{tc.name, []string{"OS_PROJECT_NAME"}}, field{tc.id, []string{"OS_PROJECT_ID"}})
			if n != tc.wantName || id != tc.wantID {
				t.Errorf("groupOr = %q, %q; want %q, %q", n, id, tc.wantName, tc.wantID)
			}
		})
	}
}

func TestEnvFor_cloudInBlockHidesEnv(t *testing.T) {
	env := envMap(map[string]string{"OS_USERNAME": "admin", "OS_CLIENT_CONFIG_FILE": "/c.yaml"})
	hidden := envFor(providerInput{cloud: new("pcd")}, env)
	if v := firstEnv(hidden, "OS_USERNAME"); v != "" {
		t.Errorf("OS_USERNAME = %q with a cloud in the block, want it hidden", v)
	}
	if v := firstEnv(hidden, "OS_CLIENT_CONFIG_FILE"); v != "/c.yaml" {
		t.Errorf("OS_CLIENT_CONFIG_FILE = %q, want it kept", v)
	}
	if v := firstEnv(envFor(providerInput{cloud: new("")}, env), "OS_USERNAME"); v != "admin" {
		t.Errorf("OS_USERNAME = %q without a cloud in the block, want admin", v)
	}
}

func TestNormalizeInterface_spellings(t *testing.T) {
	for in, want := range map[string]string{"publicURL": "public", "INTERNAL": "internal", "adminurl": "admin", "": "", "private": "private"} {
		if got := normalizeInterface(in); got != want {
			t.Errorf("normalizeInterface(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInvalidInterface_cases(t *testing.T) {
	for iface, invalid := range map[string]bool{"": false, "admin": false, "internal": false, "public": false, "private": true} {
		e := invalidInterface(iface)
		if (e != nil) != invalid {
			t.Errorf("invalidInterface(%q) = %v, want invalid %v", iface, e, invalid)
		}
		if e != nil && (e.attribute != "endpoint_interface" || !strings.Contains(e.detail, "OS_INTERFACE") || !strings.Contains(e.detail, "admin, internal, public")) {
			t.Errorf("invalidInterface(%q) = %+v", iface, e)
		}
	}
}

func TestMaxRetriesFrom_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		in      *int64
		want    int
		invalid bool
	}{
		"unset is the default":     {nil, glance.DefaultMaxRetries, false},
		"zero disables retries":    {new(int64(0)), -1, false},
		"a value is kept":          {new(int64(7)), 7, false},
		"100 is the most":          {new(int64(100)), 100, false},
		"negative is invalid":      {new(int64(-1)), glance.DefaultMaxRetries, true},
		"more than 100 is refused": {new(int64(101)), glance.DefaultMaxRetries, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, e := maxRetriesFrom(tc.in)
			if got != tc.want || (e != nil) != tc.invalid {
				t.Fatalf("maxRetriesFrom = %d, %v; want %d (invalid %v)", got, e, tc.want, tc.invalid)
			}
			if e != nil && (e.attribute != "max_retries" || !strings.Contains(e.detail, "from 0 to 100")) {
				t.Errorf("error = %+v", e)
			}
		})
	}
}

func TestMergeCredentials_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		sources []credentials
		want    credentials
	}{
		"none":                 {[]credentials{{}, {}}, credentials{}},
		"first source decides": {[]credentials{{token: "t"}, {password: "p"}}, credentials{token: "t"}},
		"empty block, env decides": {[]credentials{{}, {password: "p"}, {token: "t"}},
			credentials{password: "p"}},
		"secret completes an id": {[]credentials{{appCredSecret: "s"}, {appCredID: "id", password: "p"}},
			credentials{appCredID: "id", appCredSecret: "s"}},
		"name not added beside an id": {[]credentials{{appCredID: "id"}, {appCredName: "n", appCredSecret: "s"}},
			credentials{appCredID: "id", appCredSecret: "s"}},
		"id not added beside a name": {[]credentials{{appCredName: "n"}, {appCredID: "id"}, {appCredSecret: "s"}},
			credentials{appCredName: "n", appCredSecret: "s"}},
		"password not completed": {[]credentials{{password: "p"}, {token: "t", appCredSecret: "s"}},
			credentials{password: "p"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := mergeCredentials(tc.sources); got != tc.want {
				t.Errorf("mergeCredentials = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCredentialConflict_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		c    credentials
		want string // attribute, "" for none
	}{
		"password":               {credentials{password: "p"}, ""},
		"application credential": {credentials{appCredID: "i", appCredSecret: "s"}, ""},
		"token":                  {credentials{token: "t"}, ""},
		"token and password":     {credentials{token: "t", password: "p"}, "token"},
		"token and app cred":     {credentials{token: "t", appCredSecret: "s"}, "token"},
		"password and app cred":  {credentials{password: "p", appCredID: "i"}, "application_credential_id"},
		"nothing":                {credentials{}, "password"},
	} {
		t.Run(name, func(t *testing.T) {
			got := ""
			if e := credentialConflict(tc.c); e != nil {
				got = e.attribute
			}
			if got != tc.want {
				t.Errorf("credentialConflict = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAuthErrors_cases(t *testing.T) {
	user := identity{authURL: "http://k/v3", username: "u", domainName: "Default", projectName: "p", projectDomainName: "Default"}
	for name, tc := range map[string]struct {
		id        identity
		c         credentials
		tokenOnly bool
		want      []string
	}{
		"complete password":          {user, credentials{password: "pw"}, false, nil},
		"token and endpoint":         {identity{}, credentials{token: "t"}, true, nil},
		"no Keystone URL":            {identity{}, credentials{token: "t"}, false, []string{"auth_url"}},
		"password without user":      {identity{authURL: "u"}, credentials{password: "pw"}, false, []string{"username"}},
		"user id needs no domain":    {identity{authURL: "u", userID: "id"}, credentials{password: "pw"}, false, nil},
		"user without domain":        {identity{authURL: "u", username: "u"}, credentials{password: "pw"}, false, []string{"user_domain_name"}},
		"project without domain":     {identity{authURL: "u", userID: "id", projectName: "p"}, credentials{password: "pw"}, false, []string{"project_domain_name"}},
		"app cred ignores project":   {identity{authURL: "u", projectName: "p"}, credentials{appCredID: "i", appCredSecret: "s"}, false, nil},
		"app cred without secret":    {identity{authURL: "u"}, credentials{appCredID: "i"}, false, []string{"application_credential_secret"}},
		"secret alone":               {identity{authURL: "u"}, credentials{appCredSecret: "s"}, false, []string{"application_credential_id"}},
		"app cred id and name":       {identity{authURL: "u", userID: "id"}, credentials{appCredID: "i", appCredName: "n", appCredSecret: "s"}, false, []string{"application_credential_name"}},
		"app cred name without user": {identity{authURL: "u"}, credentials{appCredName: "n", appCredSecret: "s"}, false, []string{"username"}},
		"app cred name, user without domain": {identity{authURL: "u", username: "u"}, credentials{appCredName: "n", appCredSecret: "s"}, false,
			[]string{"user_domain_name"}},
		"everything wrong at once": {identity{projectName: "p"}, credentials{password: "pw", token: "t"}, false,
			[]string{"auth_url", "token", "username", "project_domain_name"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := attributes(authErrors(tc.id, tc.c, tc.tokenOnly)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("authErrors on %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClientCertIncomplete_cases(t *testing.T) {
	for _, tc := range []struct {
		cert, key  string
		incomplete bool
	}{{"", "", false}, {"c", "k", false}, {"c", "", true}, {"", "k", true}} {
		if e := clientCertIncomplete(tc.cert, tc.key); (e != nil) != tc.incomplete {
			t.Errorf("clientCertIncomplete(%q, %q) = %v, want incomplete %v", tc.cert, tc.key, e, tc.incomplete)
		}
	}
}

func TestUnreadableFiles_namesAttributeAndVariable(t *testing.T) {
	errs := unreadableFiles(settings{caCertFile: "/nonexistent/ca.pem", certFile: "/etc/hostname", keyFile: "/nonexistent/key.pem"})
	if got := attributes(errs); !reflect.DeepEqual(got, []string{"cacert_file", "key"}) {
		t.Fatalf("unreadableFiles on %v, want cacert_file and key", got)
	}
	if !strings.Contains(errs[0].detail, "OS_CACERT") || !strings.Contains(errs[0].detail, "/nonexistent/ca.pem") {
		t.Errorf("detail = %q", errs[0].detail)
	}
}

func TestScopeFor_cases(t *testing.T) {
	id := identity{projectName: "p", projectDomainName: "D"}
	for name, tc := range map[string]struct {
		id             identity
		c              credentials
		keepTokenScope bool
		want           *gophercloud.AuthScope
	}{
		"project by name":         {id, credentials{password: "pw"}, false, &gophercloud.AuthScope{ProjectName: "p", DomainName: "D"}},
		"project id wins":         {identity{projectID: "pid", projectName: "p"}, credentials{password: "pw"}, false, &gophercloud.AuthScope{ProjectID: "pid"}},
		"no project":              {identity{}, credentials{password: "pw"}, false, nil},
		"application credential":  {id, credentials{appCredID: "i"}, false, nil},
		"token keeps its scope":   {id, credentials{token: "t"}, true, nil},
		"token rescoped to block": {id, credentials{token: "t"}, false, &gophercloud.AuthScope{ProjectName: "p", DomainName: "D"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := scopeFor(tc.id, tc.c, tc.keepTokenScope); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("scopeFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAuthOptions_tokenDropsUser(t *testing.T) {
	id := identity{authURL: "http://k/v3", username: "u", userID: "uid", domainName: "D", domainID: "did"}
	a := authOptions(id, credentials{token: "t"}, nil)
	if a.Username != "" || a.UserID != "" || a.DomainName != "" || a.DomainID != "" || a.AllowReauth || a.TokenID != "t" {
		t.Errorf("token auth = %+v", a)
	}
	a = authOptions(id, credentials{password: "pw"}, &gophercloud.AuthScope{ProjectID: "p"})
	if a.Username != "u" || a.DomainID != "did" || !a.AllowReauth || a.Password != "pw" || a.Scope.ProjectID != "p" || a.IdentityEndpoint != "http://k/v3" {
		t.Errorf("password auth = %+v", a)
	}
}

func TestIdentityWithCloud_fillsOnlyWhatIsEmpty(t *testing.T) {
	entry := cloudEntry{auth: gophercloud.AuthOptions{
		IdentityEndpoint: "https://cloud/v3", Username: "alice", DomainName: "Default", Password: "from-file",
		Scope: &gophercloud.AuthScope{ProjectName: "service", DomainName: "Default"},
	}}
	id := identity{userID: "uid", projectID: "pid", creds: []credentials{{}, {}}}.withCloud(entry)
	// The entry's project domain fills the empty pair although its project name did not (as before).
	want := identity{authURL: "https://cloud/v3", userID: "uid", domainName: "Default", projectID: "pid", projectDomainName: "Default",
		creds: []credentials{{}, {}, {password: "from-file"}}}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("withCloud = %+v, want %+v", id, want)
	}
	id = identity{}.withCloud(entry)
	if id.projectName != "service" || id.projectDomainName != "Default" || id.username != "alice" {
		t.Errorf("withCloud on an empty identity = %+v", id)
	}
}

func TestSettingsWithCloud_interface(t *testing.T) {
	for name, tc := range map[string]struct {
		set  string
		av   gophercloud.Availability
		want string
	}{
		"cloud's internal":            {"", gophercloud.AvailabilityInternal, "internal"},
		"cloud's public is no choice": {"", gophercloud.AvailabilityPublic, ""},
		"argument wins":               {"admin", gophercloud.AvailabilityInternal, "admin"},
	} {
		t.Run(name, func(t *testing.T) {
			s := settings{endpointInterface: tc.set, region: "mine"}.withCloud(cloudEntry{endpoint: gophercloud.EndpointOpts{Region: "theirs", Availability: tc.av}})
			if s.endpointInterface != tc.want || s.region != "mine" {
				t.Errorf("withCloud: interface %q region %q, want %q and mine", s.endpointInterface, s.region, tc.want)
			}
		})
	}
}
