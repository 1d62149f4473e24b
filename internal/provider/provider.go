package provider

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var _ provider.Provider = &GlanceProvider{}

// New returns the provider factory used by main and by the acceptance tests.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &GlanceProvider{version: version}
	}
}

// GlanceProvider is the glance provider.
type GlanceProvider struct {
	version string
}

// endpointInterfaces are the catalog interfaces endpoint_interface accepts.
var endpointInterfaces = []string{"admin", "internal", "public"}

func (p *GlanceProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "glance"
	resp.Version = p.version
}

func (p *GlanceProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	str := func(desc string, env ...string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: desc + envNote(env)}
	}
	secret := func(desc string, env ...string) schema.StringAttribute {
		a := str(desc, env...)
		a.Sensitive = true
		return a
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The glance provider manages images in the OpenStack Image service (Glance API v2) " +
			"of Platform9 Private Cloud Director and of any OpenStack cloud. Every argument is optional and " +
			"falls back to the usual `OS_*` environment variable; `cloud` reads an entry of `clouds.yaml`.",
		Attributes: map[string]schema.Attribute{
			"cloud":                         str("Name of the `clouds.yaml` entry to read credentials and settings from. Arguments set here override the entry.", "OS_CLOUD"),
			"auth_url":                      str("Keystone identity endpoint, for example `https://pcd.example.com/keystone/v3`. Not needed when `token` and `endpoint` are both set.", "OS_AUTH_URL"),
			"region":                        str("Region whose image endpoint is used.", "OS_REGION_NAME"),
			"username":                      str("User name for password authentication (needs `user_domain_name` or `user_domain_id`).", "OS_USERNAME"),
			"user_id":                       str("User id for password authentication.", "OS_USER_ID"),
			"password":                      secret("Password for password authentication.", "OS_PASSWORD"),
			"user_domain_name":              str("Domain name of the user.", "OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME"),
			"user_domain_id":                str("Domain id of the user.", "OS_USER_DOMAIN_ID", "OS_DOMAIN_ID"),
			"project_name":                  str("Project to scope the token to (needs `project_domain_name` or `project_domain_id`).", "OS_PROJECT_NAME", "OS_TENANT_NAME"),
			"project_id":                    str("Project id to scope the token to.", "OS_PROJECT_ID", "OS_TENANT_ID"),
			"project_domain_name":           str("Domain name of the project.", "OS_PROJECT_DOMAIN_NAME", "OS_DOMAIN_NAME"),
			"project_domain_id":             str("Domain id of the project.", "OS_PROJECT_DOMAIN_ID", "OS_DOMAIN_ID"),
			"application_credential_id":     str("Application credential id (with `application_credential_secret`).", "OS_APPLICATION_CREDENTIAL_ID"),
			"application_credential_name":   str("Application credential name (with `application_credential_secret` and the user that owns it).", "OS_APPLICATION_CREDENTIAL_NAME"),
			"application_credential_secret": secret("Application credential secret.", "OS_APPLICATION_CREDENTIAL_SECRET"),
			"token":                         secret("An existing Keystone token. With `endpoint` set too, the provider makes no Keystone call at all; a token cannot be renewed, so it must outlive the run.", "OS_TOKEN", "OS_AUTH_TOKEN"),
			"endpoint": str("Image service endpoint to use instead of the catalog's, for example `https://pcd.example.com/glance`. "+
				"Request paths are always built from it, including Glance's paging links, which drop such a prefix.", "OS_IMAGE_ENDPOINT", "OS_IMAGE_URL"),
			"endpoint_interface": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Catalog interface of the image endpoint: " + quotedList(endpointInterfaces) +
					". Default: `admin` when the catalog has an admin image endpoint in the region, else `public`. " +
					"On Platform9 PCD, uploads through the public endpoint land in a pod-local store, which is why PCD's own UI uses the admin endpoint." +
					envNote([]string{"OS_INTERFACE", "OS_ENDPOINT_TYPE"}),
				Validators: []validator.String{stringvalidator.OneOf(endpointInterfaces...)},
			},
			"insecure":    schema.BoolAttribute{Optional: true, MarkdownDescription: "Skip TLS certificate verification. For tests only; the provider warns when it is set." + envNote([]string{"OS_INSECURE"})},
			"cacert_file": str("PEM file of CA certificates to trust for Keystone and Glance.", "OS_CACERT"),
			"cert":        str("PEM client certificate file for mutual TLS (with `key`).", "OS_CERT"),
			"key":         str("PEM client key file for mutual TLS (with `cert`).", "OS_KEY"),
			"max_retries": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many times an idempotent API call is retried after a 5xx, 429 or connection error, with exponential backoff. Default: `%d`; `0` disables retries.", glance.DefaultMaxRetries),
			},
		},
	}
}

// envNote renders the environment fallbacks of an argument for its description.
func envNote(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return " Environment: `" + strings.Join(env, "`, `") + "`."
}

// quotedList renders values as a Markdown list of code spans: `a`, `b`, `c`.
func quotedList(values []string) string {
	return "`" + strings.Join(values, "`, `") + "`"
}

type providerModel struct {
	Cloud                       types.String `tfsdk:"cloud"`
	AuthURL                     types.String `tfsdk:"auth_url"`
	Region                      types.String `tfsdk:"region"`
	Username                    types.String `tfsdk:"username"`
	UserID                      types.String `tfsdk:"user_id"`
	Password                    types.String `tfsdk:"password"`
	UserDomainName              types.String `tfsdk:"user_domain_name"`
	UserDomainID                types.String `tfsdk:"user_domain_id"`
	ProjectName                 types.String `tfsdk:"project_name"`
	ProjectID                   types.String `tfsdk:"project_id"`
	ProjectDomainName           types.String `tfsdk:"project_domain_name"`
	ProjectDomainID             types.String `tfsdk:"project_domain_id"`
	ApplicationCredentialID     types.String `tfsdk:"application_credential_id"`
	ApplicationCredentialName   types.String `tfsdk:"application_credential_name"`
	ApplicationCredentialSecret types.String `tfsdk:"application_credential_secret"`
	Token                       types.String `tfsdk:"token"`
	Endpoint                    types.String `tfsdk:"endpoint"`
	EndpointInterface           types.String `tfsdk:"endpoint_interface"`
	Insecure                    types.Bool   `tfsdk:"insecure"`
	CACertFile                  types.String `tfsdk:"cacert_file"`
	Cert                        types.String `tfsdk:"cert"`
	Key                         types.String `tfsdk:"key"`
	MaxRetries                  types.Int64  `tfsdk:"max_retries"`
}

func (p *GlanceProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !req.ClientCapabilities.DeferralAllowed && anyUnknown(m) {
		// Values that come from other resources are known only at apply. Plans of
		// resources still work; data sources and plan-time checks wait for them.
		tflog.Info(ctx, "Provider configuration has unknown values; remote plan-time checks are skipped")
		meta := &providerMeta{configUnknown: true, planned: &plannedImages{}}
		resp.ResourceData, resp.DataSourceData = meta, meta
		return
	}

	settings, diags := resolveSettings(m, os.LookupEnv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if settings.insecure {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure"), "TLS Verification Disabled",
			"insecure = true: the provider does not verify the certificates of Keystone and Glance. "+
				"Use cacert_file to trust a private CA instead.")
	}
	meta, err := connect(ctx, settings, p.version)
	if err != nil {
		resp.Diagnostics.AddError("Error Connecting to the Image Service", err.Error())
		return
	}
	meta.initRegions(settings)
	resp.ResourceData, resp.DataSourceData = meta, meta
}

func anyUnknown(m providerModel) bool {
	for _, v := range []interface{ IsUnknown() bool }{
		m.Cloud, m.AuthURL, m.Region, m.Username, m.UserID, m.Password, m.UserDomainName, m.UserDomainID,
		m.ProjectName, m.ProjectID, m.ProjectDomainName, m.ProjectDomainID, m.ApplicationCredentialID,
		m.ApplicationCredentialName, m.ApplicationCredentialSecret, m.Token, m.Endpoint, m.EndpointInterface,
		m.Insecure, m.CACertFile, m.Cert, m.Key, m.MaxRetries,
	} {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

func (p *GlanceProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewImageResource,
		NewImageImportResource,
		NewImageMemberResource,
		NewImageMemberStatusResource,
		NewImageCacheResource,
	}
}

func (p *GlanceProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewStoresDataSource,
		NewUsageDataSource,
		NewImportMethodsDataSource,
		NewImageDataSource,
		NewImagesDataSource,
		NewCacheDataSource,
	}
}
