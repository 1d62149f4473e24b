package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12 and later: `import { identity = { … } }`, and the identity
// Terraform keeps beside each resource's state). One descriptor per resource type says which
// state attributes name its object; the identity schema, setting the identity in
// Create/Read/Update and reading an import (by id, with an optional @region, or by identity)
// all come from it.

var (
	_ resource.ResourceWithIdentity = &ImageResource{}
	_ resource.ResourceWithIdentity = &ImageImportResource{}
	_ resource.ResourceWithIdentity = &ImageMemberResource{}
	_ resource.ResourceWithIdentity = &ImageMemberStatusResource{}
	_ resource.ResourceWithIdentity = &ImageCacheResource{}
)

// resourceIdentity describes a resource type's identity: attrs are the state attributes that
// name its object, each also an identity attribute of the same name and required for an
// import by identity; every identity also has an optional region.
type resourceIdentity struct {
	attrs []attrDoc
	// parseID splits an import id (without its @region) into the values of attrs; a
	// multi-attribute identity is imported by id as the values joined with "/".
	parseID func(id string) ([]string, error)
}

// attrDoc is an identity attribute and its description.
type attrDoc struct{ name, desc string }

const identityRegionDesc = "Region of the image endpoint the object is in; the provider's region when not given."

var (
	imageIdentity = resourceIdentity{
		attrs:   []attrDoc{{"id", "Image UUID."}},
		parseID: uuidImportID("a glance_image", "its UUID"),
	}
	imageImportIdentity = resourceIdentity{
		attrs:   []attrDoc{{"image_id", "UUID of the image the import filled."}},
		parseID: uuidImportID("a glance_image_import", "the UUID of its image"),
	}
	imageMemberIdentity = resourceIdentity{
		attrs:   []attrDoc{{"image_id", "UUID of the shared image."}, {"member_id", "Id of the member project."}},
		parseID: memberImportID,
	}
	imageMemberStatusIdentity = imageMemberIdentity
	imageCacheIdentity        = resourceIdentity{
		attrs:   []attrDoc{{"image_id", "UUID of the cached image."}},
		parseID: uuidImportID("a glance_image_cache", "the UUID of the cached image"),
	}
)

// uuidImportID parses an import id that is an image UUID.
func uuidImportID(what, by string) func(string) ([]string, error) {
	return func(id string) ([]string, error) {
		if !uuidPattern.MatchString(id) {
			return nil, fmt.Errorf("%q is not an image id: import %s by %s, for example 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b "+
				"(or 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b@RegionTwo for another region than the provider's)", id, what, by)
		}
		return []string{id}, nil
	}
}

// memberImportID parses "<image_id>/<member_id>".
func memberImportID(id string) ([]string, error) {
	imageID, memberID, ok := splitMemberID(id)
	if !ok {
		return nil, fmt.Errorf("%q is not of the form <image_id>/<member_id>, for example "+
			"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e (add @<region> for another region than the provider's)", id)
	}
	return []string{imageID, memberID}, nil
}

// schema is the identity schema.
func (d resourceIdentity) schema() identityschema.Schema {
	attrs := map[string]identityschema.Attribute{
		"region": identityschema.StringAttribute{OptionalForImport: true, Description: identityRegionDesc},
	}
	for _, a := range d.attrs {
		attrs[a.name] = identityschema.StringAttribute{RequiredForImport: true, Description: a.desc}
	}
	return identityschema.Schema{Attributes: attrs}
}

// set records the identity: values are those of attrs, in order. A nil identity (a client
// without identity support) is left alone.
func (d resourceIdentity) set(ctx context.Context, identity *tfsdk.ResourceIdentity, region types.String, values ...types.String) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	var diags diag.Diagnostics
	for i, a := range d.attrs {
		diags.Append(identity.SetAttribute(ctx, path.Root(a.name), values[i])...)
	}
	diags.Append(identity.SetAttribute(ctx, path.Root("region"), region)...)
	return diags
}

// startRead begins every Read: it binds *meta to the state's region (useRegion), records the
// region in the new state (a state from before region existed, or an import, gets the
// provider's) and sets the identity, which the framework wants even when Read then removes
// the resource. values are the state's values of attrs. False after an error in diags.
func (d resourceIdentity) startRead(ctx context.Context, meta **providerMeta, region *types.String, resp *resource.ReadResponse, values ...types.String) bool {
	if !useRegion(meta, region, &resp.Diagnostics) {
		return false
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), *region)...)
	resp.Diagnostics.Append(d.set(ctx, resp.Identity, *region, values...)...)
	return !resp.Diagnostics.HasError()
}

// importState reads what terraform import names, from the import id (`<id>[@<region>]`) or
// from the identity of an import block, and writes the values of attrs and the region (when
// given) to the imported state. It returns the values; nil after an error in resp.
func (d resourceIdentity) importState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) []string {
	values, region, err := d.importTarget(ctx, req)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", err.Error())
		return nil
	}
	for i, a := range d.attrs {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(a.name), values[i])...)
	}
	if region != "" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), region)...)
	}
	if resp.Diagnostics.HasError() {
		return nil
	}
	return values
}

// importTarget parses the import id, or reads the identity when the import has no id.
func (d resourceIdentity) importTarget(ctx context.Context, req resource.ImportStateRequest) ([]string, string, error) {
	id, region := splitImportRegion(strings.TrimSpace(req.ID))
	if req.ID == "" && req.Identity != nil {
		var err error
		if id, region, err = d.identityID(ctx, req.Identity); err != nil {
			return nil, "", err
		}
	}
	if strings.HasSuffix(req.ID, "@") {
		return nil, "", fmt.Errorf("%q ends with @ but names no region: write <id>@<region>, or leave @ out for the provider's region", req.ID)
	}
	values, err := d.parseID(id)
	return values, region, err
}

// identityID turns an identity into the import id it stands for and its region.
func (d resourceIdentity) identityID(ctx context.Context, identity *tfsdk.ResourceIdentity) (string, string, error) {
	parts := make([]string, 0, len(d.attrs))
	for _, a := range d.attrs {
		var v types.String
		if diags := identity.GetAttribute(ctx, path.Root(a.name), &v); diags.HasError() {
			return "", "", fmt.Errorf("reading identity attribute %s: %v", a.name, diags)
		}
		if v.ValueString() == "" {
			return "", "", fmt.Errorf("the identity has no %s", a.name)
		}
		parts = append(parts, v.ValueString())
	}
	var region types.String
	if diags := identity.GetAttribute(ctx, path.Root("region"), &region); diags.HasError() {
		return "", "", fmt.Errorf("reading identity attribute region: %v", diags)
	}
	return strings.Join(parts, "/"), region.ValueString(), nil
}

func (r *ImageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageIdentity.schema()
}

func (r *ImageImportResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageImportIdentity.schema()
}

func (r *ImageMemberResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageMemberIdentity.schema()
}

func (r *ImageMemberStatusResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageMemberStatusIdentity.schema()
}

func (r *ImageCacheResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageCacheIdentity.schema()
}
