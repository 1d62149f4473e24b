package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = &ImportMethodsDataSource{}

func NewImportMethodsDataSource() datasource.DataSource { return &ImportMethodsDataSource{} }

// ImportMethodsDataSource reads /v2/info/import.
type ImportMethodsDataSource struct {
	meta *providerMeta
}

func (d *ImportMethodsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_import_methods"
}

func (d *ImportMethodsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The interoperable image import methods the cloud offers (`GET /v2/info/import`), " +
			"for example `glance-direct`, `web-download`, `copy-image` and `glance-download`. " +
			"`glance_image_import` checks its `method` against this list at plan time.",
		Attributes: map[string]schema.Attribute{
			"region": regionDataSourceAttribute("list"),
			"methods": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Import method names, in the order the cloud lists them. Empty when the cloud disables interoperable import.",
			},
		},
	}
}

func (d *ImportMethodsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ImportMethodsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	region, ok := useDataSourceRegion(ctx, &d.meta, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	methods, err := d.meta.client.ImportMethods(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Error Reading Import Methods", "Could not read GET /v2/info/import: "+err.Error())
		return
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, nonNil(methods))
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, importMethodsModel{Region: region, Methods: list})...)
}

type importMethodsModel struct {
	Region  types.String `tfsdk:"region"`
	Methods types.List   `tfsdk:"methods"`
}

// nonNil turns a nil slice into an empty one, so that Terraform sees [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
