package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
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
	for _, k := range []string{"name", "visibility", "owner", "status", "member_status", "tags", "properties", "size_min", "size_max", "hidden", "most_recent"} {
		filters = append(filters, path.MatchRoot(k))
	}
	attrs["id"] = schema.StringAttribute{Optional: true, Computed: true,
		MarkdownDescription: "Image UUID. With `id`, the other filters are not allowed.",
		Validators: []validator.String{stringvalidator.ConflictsWith(filters...),
			stringvalidator.RegexMatches(uuidPattern, "must be an image UUID such as 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")}}
	attrs["most_recent"] = schema.BoolAttribute{Optional: true,
		MarkdownDescription: "When several images match, take the most recently created one instead of failing. Default: `false`."}
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
	if resp.Diagnostics.HasError() || !d.meta.ready(&resp.Diagnostics) {
		return
	}
	client := d.meta.client
	var img *glance.Image
	if id := m.ID.ValueString(); id != "" {
		var err error
		img, err = client.GetImage(ctx, id)
		if glance.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Image Not Found",
				fmt.Sprintf("No image %s is visible to this project: it does not exist, or it belongs to another project and is not shared with this one.", id))
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Error Reading Image", "Could not read image "+id+": "+err.Error())
			return
		}
	} else {
		opts, diags := expandImageFilters(ctx, m.imageFilterModel)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		images, err := client.ListImages(ctx, opts)
		if err != nil {
			resp.Diagnostics.AddError("Error Listing Images", "Could not list images: "+err.Error())
			return
		}
		switch {
		case len(images) == 0:
			resp.Diagnostics.AddError("No Image Found",
				"No image matches the filters. Check name, tags and properties; images shared with you need member_status, hidden images need "+
					"hidden = true, and other projects' community images need visibility = \"community\".")
			return
		case len(images) > 1 && !m.MostRecent.ValueBool():
			resp.Diagnostics.AddError("Several Images Found",
				fmt.Sprintf("%d images match the filters; narrow them, or set most_recent = true to take the newest:\n%s", len(images), describeImages(images)))
			return
		}
		sort.SliceStable(images, func(i, j int) bool { return images[i].CreatedAt > images[j].CreatedAt })
		img = &images[0]
	}

	// Filters the configuration set keep their values; the rest report the image's.
	keep := func(v types.String, actual string) types.String {
		if v.IsNull() || v.IsUnknown() {
			return types.StringValue(actual)
		}
		return v
	}
	m.ID = types.StringValue(img.ID)
	m.Name = keep(m.Name, img.Name)
	m.Visibility = keep(m.Visibility, img.Visibility)
	m.Owner = keep(m.Owner, img.Owner)
	m.Status = keep(m.Status, img.Status)
	if m.Tags.IsNull() || m.Tags.IsUnknown() {
		m.Tags = stringSet(img.Tags)
	}
	if m.Hidden.IsNull() || m.Hidden.IsUnknown() {
		m.Hidden = types.BoolValue(img.Hidden)
	}
	m.DiskFormat = types.StringValue(img.DiskFormat)
	m.ContainerFormat = types.StringValue(img.ContainerFormat)
	m.Protected = types.BoolValue(img.Protected)
	m.Deactivated = types.BoolValue(img.Status == glance.StatusDeactivated)
	m.MinDiskGB = types.Int64Value(img.MinDisk)
	m.MinRAMMB = types.Int64Value(img.MinRAM)
	m.Size = types.Int64Value(img.Size)
	m.VirtualSize = types.Int64Value(img.VirtualSize)
	m.Checksum = types.StringValue(img.Checksum)
	m.OSHashAlgo = types.StringValue(img.OSHashAlgo)
	m.OSHashValue = types.StringValue(img.OSHashValue)
	m.Stores = stringList(img.Stores)
	m.AllProperties = stringMap(img.Properties)
	m.CreatedAt = types.StringValue(img.CreatedAt)
	m.UpdatedAt = types.StringValue(img.UpdatedAt)
	m.File = types.StringValue(img.File)
	m.Schema = types.StringValue(img.Schema)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
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

type imageDataModel struct {
	imageFilterModel
	ID              types.String `tfsdk:"id"`
	MostRecent      types.Bool   `tfsdk:"most_recent"`
	DiskFormat      types.String `tfsdk:"disk_format"`
	ContainerFormat types.String `tfsdk:"container_format"`
	Protected       types.Bool   `tfsdk:"protected"`
	Deactivated     types.Bool   `tfsdk:"deactivated"`
	MinDiskGB       types.Int64  `tfsdk:"min_disk_gb"`
	MinRAMMB        types.Int64  `tfsdk:"min_ram_mb"`
	Size            types.Int64  `tfsdk:"size"`
	VirtualSize     types.Int64  `tfsdk:"virtual_size"`
	Checksum        types.String `tfsdk:"checksum"`
	OSHashAlgo      types.String `tfsdk:"os_hash_algo"`
	OSHashValue     types.String `tfsdk:"os_hash_value"`
	Stores          types.List   `tfsdk:"stores"`
	AllProperties   types.Map    `tfsdk:"all_properties"`
	CreatedAt       types.String `tfsdk:"created_at"`
	UpdatedAt       types.String `tfsdk:"updated_at"`
	File            types.String `tfsdk:"file"`
	Schema          types.String `tfsdk:"schema"`
}
