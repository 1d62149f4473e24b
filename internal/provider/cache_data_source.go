package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var _ datasource.DataSourceWithConfigure = &CacheDataSource{}

// NewCacheDataSource is the glance_cache constructor.
func NewCacheDataSource() datasource.DataSource { return &CacheDataSource{} }

// CacheDataSource reads the image cache and its queue (GET /v2/cache).
type CacheDataSource struct {
	meta *providerMeta
}

func (d *CacheDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cache"
}

var cachedImageAttrTypes = map[string]attr.Type{
	"image_id":      types.StringType,
	"size":          types.Int64Type,
	"hits":          types.Int64Type,
	"last_accessed": types.StringType,
	"last_modified": types.StringType,
}

func (d *CacheDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The images in the image cache of the Glance API and the images queued for caching (`GET /v2/cache`), " +
			"as the API node that answers lists them (each node keeps its own cache). Cache management is an admin API: it needs the " +
			"admin role and a Glance with an image cache and the cache management pipeline (paste flavor `keystone+cachemanagement`); " +
			"otherwise reading fails and says which is missing.",
		Attributes: map[string]schema.Attribute{
			"region": regionDataSourceAttribute("listing (the cache of that region's image API)"),
			"cached_images": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The cached images, ordered by image id as Glance lists them.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"image_id":      schema.StringAttribute{Computed: true, MarkdownDescription: "Image id."},
					"size":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Bytes of the image in the cache."},
					"hits":          schema.Int64Attribute{Computed: true, MarkdownDescription: "How often the cached copy was served."},
					"last_accessed": schema.StringAttribute{Computed: true, MarkdownDescription: "When the cached copy was last served (RFC 3339, UTC)."},
					"last_modified": schema.StringAttribute{Computed: true, MarkdownDescription: "When the image was written to the cache (RFC 3339, UTC)."},
				}},
			},
			"queued_images": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Ids of the images queued for caching, oldest first.",
			},
		},
	}
}

func (d *CacheDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *CacheDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	region, ok := useDataSourceRegion(ctx, &d.meta, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	ic, err := d.meta.client.ListImageCache(ctx)
	switch {
	case glance.IsCacheUnavailable(err):
		resp.Diagnostics.AddError("Image Cache Management Not Available", cacheUnavailableDetail(err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Error Reading Image Cache", "Could not list the image cache: "+err.Error())
		return
	}
	state := flattenCache(ic)
	state.Region = region
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// flattenCache maps Glance's cache listing to the data source's model.
func flattenCache(ic *glance.ImageCache) cacheModel {
	objType := types.ObjectType{AttrTypes: cachedImageAttrTypes}
	cached := make([]attr.Value, 0, len(ic.Cached))
	for _, c := range ic.Cached {
		cached = append(cached, types.ObjectValueMust(cachedImageAttrTypes, map[string]attr.Value{
			"image_id":      types.StringValue(c.ImageID),
			"size":          types.Int64Value(c.Size),
			"hits":          types.Int64Value(c.Hits),
			"last_accessed": rfc3339OrNull(c.LastAccessed),
			"last_modified": rfc3339OrNull(c.LastModified),
		}))
	}
	return cacheModel{CachedImages: types.ListValueMust(objType, cached), QueuedImages: stringList(ic.Queued)}
}

type cacheModel struct {
	Region       types.String `tfsdk:"region"`
	CachedImages types.List   `tfsdk:"cached_images"`
	QueuedImages types.List   `tfsdk:"queued_images"`
}
