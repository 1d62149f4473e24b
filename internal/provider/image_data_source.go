package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ datasource.DataSourceWithConfigure      = &ImageDataSource{}
	_ datasource.DataSourceWithValidateConfig = &ImageDataSource{}
)

func NewImageDataSource() datasource.DataSource { return &ImageDataSource{} }

// ImageDataSource finds one image by id or by filters.
type ImageDataSource struct {
	meta *providerMeta
}

func (d *ImageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (d *ImageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := imageFilterAttributes(true)
	computedStr := func(desc string) schema.Attribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	computedInt := func(desc string) schema.Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	filters := []path.Expression{}
	for _, k := range []string{"name", "visibility", "owner", "status", "member_status", "tags", "properties", "size_min", "size_max", "hidden", "most_recent",
		"name_regex", "tag", "created_at_filter", "updated_at_filter", "sort"} {
		filters = append(filters, path.MatchRoot(k))
	}
	attrs["region"] = regionDataSourceAttribute("lookup")
	attrs["id"] = schema.StringAttribute{Optional: true, Computed: true,
		MarkdownDescription: "Image UUID. With `id`, the other filters are not allowed.",
		Validators: []validator.String{stringvalidator.ConflictsWith(filters...),
			stringvalidator.RegexMatches(uuidPattern, "must be an image UUID such as 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")}}
	attrs["most_recent"] = schema.BoolAttribute{Optional: true,
		MarkdownDescription: "When several images match, take the most recently created one instead of failing. Default: `false`."}
	attrs["sort"] = schema.StringAttribute{Optional: true, Validators: []validator.String{sortValidator{}, stringvalidator.ConflictsWith(path.MatchRoot("most_recent"))},
		MarkdownDescription: "When several images match, take the first in this order instead of failing: comma-separated `key:direction` as Glance " +
			"takes it, for example `name:asc` or `size:desc,created_at:desc` (`most_recent = true` is `created_at:desc`). Not with `most_recent`."}
	attrs["disk_format"] = computedStr("Disk format.")
	attrs["container_format"] = computedStr("Container format.")
	attrs["protected"] = schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the image is protected from deletion."}
	attrs["deactivated"] = schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the image is deactivated."}
	attrs["min_disk_gb"] = computedInt("Minimum disk size in GiB.")
	attrs["min_ram_mb"] = computedInt("Minimum RAM in MiB.")
	attrs["size"] = computedInt("Size of the data in bytes.")
	attrs["virtual_size"] = computedInt("Virtual disk size in bytes (0 when unknown).")
	attrs["checksum"] = computedStr("MD5 of the data.")
	attrs["os_hash_algo"] = computedStr("Algorithm of `os_hash_value`.")
	attrs["os_hash_value"] = computedStr("Secure hash of the data.")
	attrs["stores"] = schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Stores that hold the data."}
	attrs["all_properties"] = schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Every custom property of the image."}
	attrs["created_at"] = computedStr("Creation time (RFC 3339).")
	attrs["updated_at"] = computedStr("Last update time (RFC 3339).")
	attrs["file"] = computedStr("API path of the image data.")
	attrs["schema"] = computedStr("API path of the image schema.")
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds one image, by `id` or by filters. No match, or more than one without `most_recent`, is an error that lists what matched.",
		Attributes:          attrs,
	}
}

func (d *ImageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ImageDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateImageFilters(ctx, req.Config, &resp.Diagnostics)
}

func (d *ImageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m imageDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !useRegion(&d.meta, &m.Region, &resp.Diagnostics) {
		return
	}
	var img *glance.Image
	if id := m.ID.ValueString(); id != "" {
		img = d.imageByID(ctx, id, &resp.Diagnostics)
	} else {
		img = d.imageByFilters(ctx, m, &resp.Diagnostics)
	}
	if img == nil {
		return
	}
	// Filters the configuration set keep their values; the rest report the image's.
	found := flattenImageAttrs(img)
	keepConfigured(&found.Name, m.Name)
	keepConfigured(&found.Visibility, m.Visibility)
	keepConfigured(&found.Owner, m.Owner)
	keepConfigured(&found.Status, m.Status)
	keepConfigured(&found.Tags, m.Tags)
	keepConfigured(&found.Hidden, m.Hidden)
	m.imageAttrs = found
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// imageByID reads the image of that id; nil after an error, reported in diags.
func (d *ImageDataSource) imageByID(ctx context.Context, id string, diags *diag.Diagnostics) *glance.Image {
	img, err := d.meta.client.GetImage(ctx, id)
	if glance.IsNotFound(err) {
		diags.AddAttributeError(path.Root("id"), "Image Not Found",
			fmt.Sprintf("No image %s is visible to this project: it does not exist, or it belongs to another project and is not shared with this one.", id))
		return nil
	}
	if err != nil {
		diags.AddError("Error Reading Image", "Could not read image "+id+": "+err.Error())
		return nil
	}
	return img
}

// imageByFilters lists the images that match the filters and picks the one (the newest with
// most_recent); nil after an error, reported in diags.
func (d *ImageDataSource) imageByFilters(ctx context.Context, m imageDataModel, diags *diag.Diagnostics) *glance.Image {
	opts, fdiags := expandImageFilters(ctx, m.filters())
	diags.Append(fdiags...)
	if diags.HasError() {
		return nil
	}
	opts.Sort = m.Sort.ValueString()
	images, err := d.meta.client.ListImages(ctx, opts)
	if err == nil {
		images, err = imagesNamed(images, m.NameRegex.ValueString())
	}
	if err != nil {
		diags.AddError("Error Listing Images", "Could not list images: "+err.Error())
		return nil
	}
	switch {
	case len(images) == 0:
		diags.AddError("No Image Found",
			"No image matches the filters. Check name, tags and properties; images shared with you need member_status, hidden images need "+
				"hidden = true, and other projects' community images need visibility = \"community\".")
		return nil
	case len(images) > 1 && opts.Sort != "":
		return &images[0] // the first in the requested order
	case len(images) > 1 && !m.MostRecent.ValueBool():
		diags.AddError("Several Images Found",
			fmt.Sprintf("%d images match the filters; narrow them, or set most_recent = true to take the newest:\n%s", len(images), describeImages(images)))
		return nil
	}
	sort.SliceStable(images, func(i, j int) bool { return images[i].CreatedAt > images[j].CreatedAt })
	return &images[0]
}

// keepConfigured sets *v to the configured value when the configuration set one.
func keepConfigured[T interface {
	IsNull() bool
	IsUnknown() bool
}](v *T, configured T) {
	if !configured.IsNull() && !configured.IsUnknown() {
		*v = configured
	}
}

// describeImages lists images for an error message, at most ten.
func describeImages(images []glance.Image) string {
	var b strings.Builder
	for i, img := range images {
		if i == 10 {
			fmt.Fprintf(&b, "  … and %d more\n", len(images)-10)
			break
		}
		fmt.Fprintf(&b, "  - %s %q (status %s, created %s)\n", img.ID, img.Name, img.Status, img.CreatedAt)
	}
	return b.String()
}

// imageDataModel is the image's attributes, with the filters among them, and the arguments
// that only select.
type imageDataModel struct {
	imageAttrs
	Region          types.String `tfsdk:"region"`
	MemberStatus    types.String `tfsdk:"member_status"`
	Properties      types.Map    `tfsdk:"properties"`
	SizeMin         types.Int64  `tfsdk:"size_min"`
	SizeMax         types.Int64  `tfsdk:"size_max"`
	MostRecent      types.Bool   `tfsdk:"most_recent"`
	NameRegex       types.String `tfsdk:"name_regex"`
	Tag             types.String `tfsdk:"tag"`
	CreatedAtFilter types.String `tfsdk:"created_at_filter"`
	UpdatedAtFilter types.String `tfsdk:"updated_at_filter"`
	Sort            types.String `tfsdk:"sort"`
}

// filters returns the filter arguments of the configuration.
func (m imageDataModel) filters() imageFilterModel {
	return imageFilterModel{
		Name: m.Name, Visibility: m.Visibility, Owner: m.Owner, Status: m.Status, MemberStatus: m.MemberStatus,
		Tags: m.Tags, Properties: m.Properties, SizeMin: m.SizeMin, SizeMax: m.SizeMax, Hidden: m.Hidden,
		NameRegex: m.NameRegex, Tag: m.Tag, CreatedAtFilter: m.CreatedAtFilter, UpdatedAtFilter: m.UpdatedAtFilter,
	}
}
