package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ datasource.DataSourceWithConfigure      = &ImagesDataSource{}
	_ datasource.DataSourceWithValidateConfig = &ImagesDataSource{}
)

func NewImagesDataSource() datasource.DataSource { return &ImagesDataSource{} }

// ImagesDataSource lists images (GET /v2/images, every page).
type ImagesDataSource struct {
	meta *providerMeta
}

// Filter values Glance accepts; each list feeds a validator and a description.
var (
	imageFilterVisibilities  = []string{"public", "private", "shared", "community", "all"}
	imageFilterMemberStatus  = []string{"accepted", "pending", "rejected", "all"}
	imageFilterStatuses      = []string{"queued", "saving", "uploading", "importing", "active", "deactivated", "killed", "deleted", "pending_delete"}
	imageListAttrTypesByName = map[string]attr.Type{
		"id": types.StringType, "name": types.StringType, "status": types.StringType,
		"disk_format": types.StringType, "container_format": types.StringType, "visibility": types.StringType,
		"size": types.Int64Type, "virtual_size": types.Int64Type, "checksum": types.StringType,
		"os_hash_algo": types.StringType, "os_hash_value": types.StringType, "owner": types.StringType,
		"tags": types.SetType{ElemType: types.StringType}, "stores": types.ListType{ElemType: types.StringType},
		"properties": types.MapType{ElemType: types.StringType}, "protected": types.BoolType, "hidden": types.BoolType,
		"min_disk_gb": types.Int64Type, "min_ram_mb": types.Int64Type, "created_at": types.StringType, "updated_at": types.StringType,
	}
)

// imageFilterAttributes are the filter arguments glance_image and glance_images share.
// computed makes them Optional+Computed (glance_image reports the match's values).
func imageFilterAttributes(computed bool) map[string]schema.Attribute {
	str := func(desc string, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Computed: computed, MarkdownDescription: desc, Validators: v}
	}
	return map[string]schema.Attribute{
		"name": str("Exact image name.", stringvalidator.LengthBetween(1, 255)),
		"visibility": str("Only images of this visibility: "+quotedList(imageFilterVisibilities)+". Default: what Glance lists by default: "+
			"your images, public ones and those shared with you that you accepted; other projects' community images only with `\"community\"`. "+
			"An admin's default list holds every project's images: set `owner` to stay within one project.", stringvalidator.OneOf(imageFilterVisibilities...)),
		"owner":  str("Only images owned by this project id.", stringvalidator.LengthAtLeast(1)),
		"status": str("Only images in this status: "+quotedList(imageFilterStatuses)+".", stringvalidator.OneOf(imageFilterStatuses...)),
		"member_status": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.OneOf(imageFilterMemberStatus...)},
			MarkdownDescription: "For images shared with you: only those whose membership is " + quotedList(imageFilterMemberStatus) + ". Glance's default is `accepted`."},
		"tags": schema.SetAttribute{Optional: true, Computed: computed, ElementType: types.StringType,
			Validators:          []validator.Set{setvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 255))},
			MarkdownDescription: "Only images that have all of these tags."},
		"properties": schema.MapAttribute{Optional: true, ElementType: types.StringType,
			Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.LengthBetween(1, 255),
				stringvalidator.NoneOfCaseInsensitive(imageFilterQueryNames...))},
			MarkdownDescription: "Only images whose properties have these values, such as `{ os_distro = \"ubuntu\" }`. Core fields such as `disk_format` work too; " +
				"the fields with an argument of their own (name, tags, visibility, …) go there instead."},
		"size_min": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(0)},
			MarkdownDescription: "Only images of at least this many bytes."},
		"size_max": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(0)},
			MarkdownDescription: "Only images of at most this many bytes; not below `size_min`."},
		"hidden": schema.BoolAttribute{Optional: true, Computed: computed,
			MarkdownDescription: "`true` lists only hidden images (`os_hidden`), which Glance leaves out by default."},
		"name_regex": schema.StringAttribute{Optional: true,
			Validators: []validator.String{regexpValidator{}, stringvalidator.ConflictsWith(path.MatchRoot("name"))},
			MarkdownDescription: "Only images whose name matches this regular expression (RE2 syntax, unanchored: use `^` and `$` for a whole name). " +
				"Glance cannot filter by pattern, so the provider lists the images the other filters select and keeps the matching ones. Not with `name`."},
		"tag": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthBetween(1, 255)},
			MarkdownDescription: "Only images that have this tag; with `tags`, images must have all of them."},
		"created_at_filter": schema.StringAttribute{Optional: true, Validators: []validator.String{timeFilterValidator{}},
			MarkdownDescription: imageTimeFilterDescription("created", "created_at")},
		"updated_at_filter": schema.StringAttribute{Optional: true, Validators: []validator.String{timeFilterValidator{}},
			MarkdownDescription: imageTimeFilterDescription("last updated", "updated_at")},
	}
}

// imageTimeFilterDescription describes the created_at / updated_at filters.
func imageTimeFilterDescription(what, field string) string {
	return "Only images " + what + " before, at or after a time: `<operator>:<time>`, the operator one of " + quotedList(imageTimeOperators) +
		" and the time in ISO 8601 (`CCYY-MM-DDThh:mm:ss` with an optional offset such as `Z` or `+01:00`; UTC without one), " +
		"for example `\"gte:2026-01-31T00:00:00Z\"`. Glance shows times to the second but keeps fractions of a second: an image's own " +
		"`" + field + "` is before the image (so `gt:` it still lists the image, and `eq:` it matches nothing); compare with the next second instead."
}

func (d *ImagesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_images"
}

func (d *ImagesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := imageFilterAttributes(false)
	attrs["region"] = regionDataSourceAttribute("list")
	attrs["sort"] = schema.StringAttribute{Optional: true, Validators: []validator.String{sortValidator{}},
		MarkdownDescription: "Sort order as Glance takes it: comma-separated `key:direction`, for example `name:asc,created_at:desc`. Default: newest first."}
	item := func(desc string, t attr.Type) schema.Attribute {
		switch t {
		case types.Int64Type:
			return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
		case types.BoolType:
			return schema.BoolAttribute{Computed: true, MarkdownDescription: desc}
		}
		switch tt := t.(type) {
		case types.SetType:
			return schema.SetAttribute{Computed: true, ElementType: tt.ElemType, MarkdownDescription: desc}
		case types.ListType:
			return schema.ListAttribute{Computed: true, ElementType: tt.ElemType, MarkdownDescription: desc}
		case types.MapType:
			return schema.MapAttribute{Computed: true, ElementType: tt.ElemType, MarkdownDescription: desc}
		}
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	itemAttrs := map[string]schema.Attribute{}
	for name, t := range imageListAttrTypesByName {
		itemAttrs[name] = item("The image's `"+name+"`, as for the `glance_image` resource.", t)
	}
	attrs["images"] = schema.ListNestedAttribute{Computed: true, NestedObject: schema.NestedAttributeObject{Attributes: itemAttrs},
		MarkdownDescription: "Every matching image, across all pages, in the requested order."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists images that match all the given filters (`GET /v2/images`), following every page. " +
			"The Glance v2 fields of the removed v1 API (checksum, size, status, owner, timestamps, `pf9_*` properties) are all here.",
		Attributes: attrs,
	}
}

func (d *ImagesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ImagesDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateImageFilters(ctx, req.Config, &resp.Diagnostics)
}

func (d *ImagesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m imagesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !useRegion(&d.meta, &m.Region, &resp.Diagnostics) {
		return
	}
	opts, diags := expandImageFilters(ctx, m.imageFilterModel)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts.Sort = m.Sort.ValueString()
	images, err := d.meta.client.ListImages(ctx, opts)
	if err == nil {
		images, err = imagesNamed(images, m.NameRegex.ValueString())
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Listing Images", "Could not list images: "+err.Error())
		return
	}
	m.Images = flattenImageList(images)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// expandImageFilters maps the filter arguments to list options.
func expandImageFilters(ctx context.Context, f imageFilterModel) (glance.ListImagesOptions, diag.Diagnostics) {
	var diags diag.Diagnostics
	o := glance.ListImagesOptions{
		Name: f.Name.ValueString(), Visibility: f.Visibility.ValueString(), Owner: f.Owner.ValueString(),
		Status: f.Status.ValueString(), MemberStatus: f.MemberStatus.ValueString(),
		CreatedAt: f.CreatedAtFilter.ValueString(), UpdatedAt: f.UpdatedAtFilter.ValueString(),
	}
	if !f.Tags.IsNull() && !f.Tags.IsUnknown() {
		diags.Append(f.Tags.ElementsAs(ctx, &o.Tags, false)...)
	}
	o.Tags = imageFilterTags(o.Tags, f.Tag.ValueString())
	if !f.Properties.IsNull() && !f.Properties.IsUnknown() {
		diags.Append(f.Properties.ElementsAs(ctx, &o.Properties, false)...)
	}
	if !f.SizeMin.IsNull() {
		v := f.SizeMin.ValueInt64()
		o.SizeMin = &v
	}
	if !f.SizeMax.IsNull() {
		v := f.SizeMax.ValueInt64()
		o.SizeMax = &v
	}
	if !f.Hidden.IsNull() && !f.Hidden.IsUnknown() {
		v := f.Hidden.ValueBool()
		o.Hidden = &v
	}
	return o, diags
}

// flattenImageList maps images to the items of glance_images: the shared attributes of
// flattenImageAttrs, with all of the image's properties as properties.
func flattenImageList(images []glance.Image) types.List {
	objType := types.ObjectType{AttrTypes: imageListAttrTypesByName}
	elems := make([]attr.Value, 0, len(images))
	for i := range images {
		a := flattenImageAttrs(&images[i])
		elems = append(elems, types.ObjectValueMust(imageListAttrTypesByName, map[string]attr.Value{
			"id": a.ID, "name": a.Name, "status": a.Status, "disk_format": a.DiskFormat, "container_format": a.ContainerFormat,
			"visibility": a.Visibility, "size": a.Size, "virtual_size": a.VirtualSize, "checksum": a.Checksum,
			"os_hash_algo": a.OSHashAlgo, "os_hash_value": a.OSHashValue, "owner": a.Owner, "tags": a.Tags, "stores": a.Stores,
			"properties": a.AllProperties, "protected": a.Protected, "hidden": a.Hidden, "min_disk_gb": a.MinDiskGB,
			"min_ram_mb": a.MinRAMMB, "created_at": a.CreatedAt, "updated_at": a.UpdatedAt,
		}))
	}
	return types.ListValueMust(objType, elems)
}

type imageFilterModel struct {
	Name            types.String `tfsdk:"name"`
	Visibility      types.String `tfsdk:"visibility"`
	Owner           types.String `tfsdk:"owner"`
	Status          types.String `tfsdk:"status"`
	MemberStatus    types.String `tfsdk:"member_status"`
	Tags            types.Set    `tfsdk:"tags"`
	Properties      types.Map    `tfsdk:"properties"`
	SizeMin         types.Int64  `tfsdk:"size_min"`
	SizeMax         types.Int64  `tfsdk:"size_max"`
	Hidden          types.Bool   `tfsdk:"hidden"`
	NameRegex       types.String `tfsdk:"name_regex"`
	Tag             types.String `tfsdk:"tag"`
	CreatedAtFilter types.String `tfsdk:"created_at_filter"`
	UpdatedAtFilter types.String `tfsdk:"updated_at_filter"`
}

type imagesModel struct {
	imageFilterModel
	Region types.String `tfsdk:"region"`
	Sort   types.String `tfsdk:"sort"`
	Images types.List   `tfsdk:"images"`
}
