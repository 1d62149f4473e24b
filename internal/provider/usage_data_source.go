package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var _ datasource.DataSourceWithConfigure = &UsageDataSource{}

func NewUsageDataSource() datasource.DataSource { return &UsageDataSource{} }

// UsageDataSource reads /v2/info/usage.
type UsageDataSource struct {
	meta *providerMeta
}

// quotaResources are the resources of /v2/info/usage, with what each counts.
var quotaResources = []struct{ name, desc string }{
	{"image_size_total", "Total size of the project's active images, in MiB."},
	{"image_count_total", "Number of images the project owns."},
	{"image_stage_total", "Total size of data staged for import, in MiB."},
	{"image_count_uploading", "Number of images being uploaded or imported at once."},
}

var quotaAttrTypes = map[string]attr.Type{"limit": types.Int64Type, "usage": types.Int64Type}

func (d *UsageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_usage"
}

func (d *UsageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := map[string]schema.Attribute{}
	for _, q := range quotaResources {
		attrs[q.name] = schema.SingleNestedAttribute{
			Computed:            true,
			MarkdownDescription: q.desc + " Null when the cloud does not enforce image quotas.",
			Attributes: map[string]schema.Attribute{
				"limit": schema.Int64Attribute{Computed: true, MarkdownDescription: "The project's limit (-1 means unlimited)."},
				"usage": schema.Int64Attribute{Computed: true, MarkdownDescription: "What the project uses now."},
			},
		}
	}
	attrs["region"] = regionDataSourceAttribute("reading (the quotas that region's Glance enforces)")
	resp.Schema = schema.Schema{
		MarkdownDescription: "The caller's image quota limits and usage (`GET /v2/info/usage`). " +
			"Glance reports them only when it enforces Keystone unified limits (`use_keystone_limits`); " +
			"otherwise every attribute is null and the data source warns.",
		Attributes: attrs,
	}
}

func (d *UsageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *UsageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	region, ok := useDataSourceRegion(ctx, &d.meta, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), region)...)
	usage, err := d.meta.client.Usage(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Error Reading Quota Usage", "Could not read GET /v2/info/usage: "+err.Error())
		return
	}
	if len(usage) == 0 {
		resp.Diagnostics.AddWarning("Image Quotas Not Enabled",
			"The Image service reports no quota usage: it does not enforce Keystone unified limits "+
				"(use_keystone_limits), so every glance_usage attribute is null.")
	}
	for _, q := range quotaResources {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(q.name), flattenQuota(usage, q.name))...)
	}
}

// flattenQuota returns one quota object, or null when Glance did not report the resource.
func flattenQuota(u glance.Usage, name string) types.Object {
	q, ok := u[name]
	if !ok {
		return types.ObjectNull(quotaAttrTypes)
	}
	return types.ObjectValueMust(quotaAttrTypes, map[string]attr.Value{
		"limit": types.Int64Value(q.Limit),
		"usage": types.Int64Value(q.Usage),
	})
}
