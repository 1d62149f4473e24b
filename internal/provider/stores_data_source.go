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

var _ datasource.DataSourceWithConfigure = &StoresDataSource{}

func NewStoresDataSource() datasource.DataSource { return &StoresDataSource{} }

// StoresDataSource reads /v2/info/stores (or /v2/info/stores/detail).
type StoresDataSource struct {
	meta *providerMeta
}

func (d *StoresDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stores"
}

var storeAttrTypes = map[string]attr.Type{
	"id":          types.StringType,
	"description": types.StringType,
	"default":     types.BoolType,
	"read_only":   types.BoolType,
	"type":        types.StringType,
	"weight":      types.Int64Type,
	"properties":  types.MapType{ElemType: types.StringType},
}

func (d *StoresDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The image stores (backends) of a multi-store cloud (`GET /v2/info/stores`). " +
			"A cloud without multi-store gives an empty list and a warning. " +
			"With `detail = true` (admin only, `GET /v2/info/stores/detail`) each store also has its type, weight and properties.",
		Attributes: map[string]schema.Attribute{
			"region": regionDataSourceAttribute("list"),
			"detail": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Also read each store's `type`, `weight` and `properties`. Needs the admin role. Default: `false`.",
			},
			"stores": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The stores, in the order the cloud lists them.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":          schema.StringAttribute{Computed: true, MarkdownDescription: "Store identifier, as used in `store` and `stores` arguments."},
					"description": schema.StringAttribute{Computed: true, MarkdownDescription: "Operator's description of the store."},
					"default":     schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether uploads without a store land here."},
					"read_only":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the store refuses new data."},
					"type":        schema.StringAttribute{Computed: true, MarkdownDescription: "Backend driver, such as `file`, `rbd`, `swift` or `cinder` (with `detail` only)."},
					"weight":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Store weight used to order locations (with `detail` only)."},
					"properties":  schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Backend settings the cloud exposes, as strings (with `detail` only)."},
				}},
			},
		},
	}
}

func (d *StoresDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *StoresDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data storesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() || !useRegion(&d.meta, &data.Region, &resp.Diagnostics) {
		return
	}
	detail := data.Detail.ValueBool()
	var stores []glance.Store
	var err error
	if detail {
		stores, err = d.meta.client.StoresDetail(ctx)
	} else {
		stores, err = d.meta.client.Stores(ctx)
	}
	switch {
	case detail && glance.IsForbidden(err):
		resp.Diagnostics.AddAttributeError(path.Root("detail"), "Store Detail Needs the Admin Role",
			"The Image service refused GET /v2/info/stores/detail: only administrators may read store details. "+
				"Remove detail = true to list the stores without type, weight and properties, or use admin credentials.\n\n"+err.Error())
		return
	case glance.IsUnsupported(err):
		resp.Diagnostics.AddWarning("Multi-Store Not Enabled",
			"The Image service does not support multiple stores ("+err.Error()+"); the stores list is empty. "+
				"Images are stored in the cloud's single default backend, and store arguments cannot be used.")
		stores = nil
	case err != nil:
		resp.Diagnostics.AddError("Error Reading Stores", "Could not list the image stores: "+err.Error())
		return
	}
	data.Stores = flattenStores(stores, detail)
	resp.Diagnostics.Append(resp.State.Set(ctx, data)...)
}

// flattenStores maps stores to the list attribute; detail-only fields stay null without detail.
func flattenStores(stores []glance.Store, detail bool) types.List {
	objType := types.ObjectType{AttrTypes: storeAttrTypes}
	elems := make([]attr.Value, 0, len(stores))
	for _, s := range stores {
		v := map[string]attr.Value{
			"id":          types.StringValue(s.ID),
			"description": types.StringValue(s.Description),
			"default":     types.BoolValue(s.Default),
			"read_only":   types.BoolValue(s.ReadOnly),
			"type":        types.StringNull(),
			"weight":      types.Int64Null(),
			"properties":  types.MapNull(types.StringType),
		}
		if detail {
			v["type"] = types.StringValue(s.Type)
			v["weight"] = types.Int64Value(s.Weight)
			props := make(map[string]attr.Value, len(s.Properties))
			for k, p := range s.Properties {
				props[k] = types.StringValue(p)
			}
			v["properties"] = types.MapValueMust(types.StringType, props)
		}
		elems = append(elems, types.ObjectValueMust(storeAttrTypes, v))
	}
	return types.ListValueMust(objType, elems)
}

type storesModel struct {
	Region types.String `tfsdk:"region"`
	Detail types.Bool   `tfsdk:"detail"`
	Stores types.List   `tfsdk:"stores"`
}
