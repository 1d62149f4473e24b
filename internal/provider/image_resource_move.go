package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// `moved {}` from terraform-provider-openstack (TPO, any release from 1.x to 3.x) and from
// Platform9's pcd provider. The source state is read as raw JSON, not through a schema, so
// that every release's shape is taken: attributes a release does not have read as unset.
// Each type's mapping is a pure function over plain Go values (movedImageFrom,
// movedMemberFrom); the MoveState methods only convert.

// Source resource types this provider takes over with `moved {}`.
const (
	tpoImageType        = "openstack_images_image_v2"
	tpoAccessType       = "openstack_images_image_access_v2"
	tpoAccessAcceptType = "openstack_images_image_access_accept_v2"
	pcdImageType        = "pcd_images_image"
	pcdAccessType       = "pcd_images_image_access"
	pcdAccessAcceptType = "pcd_images_image_access_accept"
)

// movedFrom reports whether a move request comes from one of the given resource types of the
// provider named providerType ("openstack", "pcd"), whatever its registry host and namespace
// (registry.terraform.io/terraform-provider-openstack/openstack, the older
// terraform-providers/openstack, registry.opentofu.org/...).
func movedFrom(typeName, providerAddress, providerType string, types ...string) bool {
	parts := strings.Split(providerAddress, "/")
	if parts[len(parts)-1] != providerType {
		return false
	}
	for _, t := range types {
		if t == typeName {
			return true
		}
	}
	return false
}

// rawStateAttrs decodes a source state's attributes (JSON; numbers kept exact).
func rawStateAttrs(raw *tfprotov6.RawState) (map[string]any, error) {
	if raw == nil || len(raw.JSON) == 0 {
		return nil, fmt.Errorf("the source state has no JSON attributes (a state written by Terraform before 0.12 must be refreshed by a newer Terraform first)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw.JSON))
	dec.UseNumber()
	var attrs map[string]any
	if err := dec.Decode(&attrs); err != nil {
		return nil, fmt.Errorf("decoding the source state: %w", err)
	}
	return attrs, nil
}

// rawAttrs reads typed values from a decoded source state; a missing or null attribute, or
// one of another type, reads as the zero value.
type rawAttrs map[string]any

func (r rawAttrs) str(k string) string {
	s, _ := r[k].(string)
	return s
}

func (r rawAttrs) boolean(k string) bool {
	switch v := r[k].(type) {
	case bool:
		return v
	case string: // flatmap-era values
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

func (r rawAttrs) int(k string) int64 {
	switch v := r[k].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func (r rawAttrs) strings(k string) []string {
	items, _ := r[k].([]any)
	out := []string{}
	for _, it := range items {
		if s, ok := it.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func (r rawAttrs) stringMap(k string) map[string]string {
	m, _ := r[k].(map[string]any)
	out := map[string]string{}
	for key, v := range m {
		if s, ok := v.(string); ok {
			out[key] = s
		}
	}
	return out
}

// movedImage is a glance_image state made from a TPO or pcd image state.
type movedImage struct {
	ID, Name, DiskFormat, ContainerFormat, Visibility string
	Protected, Hidden                                 bool
	MinDiskGB, MinRAMMB                               int64
	Tags                                              []string
	// Properties are the declared properties: the source's minus what Glance sets itself.
	// AllProperties are all of the image's custom properties the source state knew.
	Properties, AllProperties map[string]string
	// Source: File or URL (none: a record only), with the decompress mode.
	File, URL, Decompress string
	CreateTimeout         string
	Status, Checksum      string
	HashAlgo, HashValue   string
	Owner, CreatedAt      string
	UpdatedAt, APIFile    string
	Schema                string
	Size                  int64
	Stores                []string
	// Region of the source resource ("" when it had none: the provider's, filled in by the
	// refresh that follows the move, since a move cannot see the provider's configuration).
	Region string
}

// movedImageFrom maps a TPO openstack_images_image_v2 or a pcd_images_image state to
// glance_image. TPO's properties hold every key Glance reports beyond its schema fields
// (os_hash_algo, os_hash_value, stores, direct_url, os_glance_*, …): those Glance sets itself
// are dropped from the declared properties (all_properties keeps them); every other key stays
// declared, since TPO removed undeclared keys at each apply, except os_* ones. A property the
// new configuration does not declare therefore plans as removed (and the apply deletes it):
// the move cannot see the configuration, and Terraform keeps the source's private state, so
// no "adopted" list reaches the first plan as it does after terraform import.
func movedImageFrom(attrs map[string]any) (movedImage, error) {
	r := rawAttrs(attrs)
	id := r.str("id")
	if id == "" {
		id = r.str("image_id")
	}
	if !uuidPattern.MatchString(id) {
		return movedImage{}, fmt.Errorf("the source state's id %q is not an image UUID", id)
	}
	props := r.stringMap("properties")
	m := movedImage{
		ID: id, Name: r.str("name"), DiskFormat: r.str("disk_format"), ContainerFormat: r.str("container_format"),
		Visibility: r.str("visibility"), Protected: r.boolean("protected"), Hidden: r.boolean("hidden"),
		MinDiskGB: r.int("min_disk_gb"), MinRAMMB: r.int("min_ram_mb"), Tags: r.strings("tags"),
		File: r.str("local_file_path"), URL: r.str("image_source_url"), Decompress: "none",
		Status: r.str("status"), Checksum: r.str("checksum"), Owner: r.str("owner"),
		CreatedAt: r.str("created_at"), UpdatedAt: r.str("updated_at"), APIFile: r.str("file"), Schema: r.str("schema"),
		Size: r.int("size_bytes"), HashAlgo: props["os_hash_algo"], HashValue: props["os_hash_value"],
		Stores: splitStores(props["stores"]), Region: r.str("region"),
	}
	if m.ContainerFormat == "" {
		m.ContainerFormat = "bare"
	}
	if m.Visibility == "" {
		m.Visibility = "private"
	}
	if r.boolean("decompress") && m.File == "" {
		// TPO decompressed what it downloaded from image_source_url; a local file went up as
		// it was, so its digest is that of the file itself.
		m.Decompress = "auto"
	}
	if t, ok := attrs["timeouts"].(map[string]any); ok {
		m.CreateTimeout, _ = t["create"].(string)
	}
	m.Properties, m.AllProperties = movedProperties(props)
	return m, nil
}

// movedProperties splits a source state's properties into the declared ones (without what
// Glance or client tools set) and all of the image's custom properties (without Glance's
// schema fields, which the old providers kept among them).
func movedProperties(props map[string]string) (declared, all map[string]string) {
	declared, all = map[string]string{}, map[string]string{}
	for k, v := range props {
		if glance.IsBaseKey(k) {
			continue
		}
		all[k] = v
		if !serverAddedProperty(k) {
			declared[k] = v
		}
	}
	return declared, all
}

func splitStores(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// model is the glance_image state of a moved image.
func (m movedImage) model() imageModel {
	nullIfEmpty := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	out := imageModel{
		imageAttrs: imageAttrs{
			ID: types.StringValue(m.ID), Name: types.StringValue(m.Name), DiskFormat: types.StringValue(m.DiskFormat),
			ContainerFormat: types.StringValue(m.ContainerFormat), Visibility: types.StringValue(m.Visibility),
			Protected: types.BoolValue(m.Protected), Hidden: types.BoolValue(m.Hidden),
			MinDiskGB: types.Int64Value(m.MinDiskGB), MinRAMMB: types.Int64Value(m.MinRAMMB), Tags: stringSet(m.Tags),
			Deactivated: types.BoolValue(m.Status == glance.StatusDeactivated), Status: types.StringValue(m.Status),
			Size: types.Int64Value(m.Size), VirtualSize: types.Int64Value(0), Checksum: types.StringValue(m.Checksum),
			OSHashAlgo: types.StringValue(m.HashAlgo), OSHashValue: types.StringValue(m.HashValue), Owner: types.StringValue(m.Owner),
			Stores: stringList(m.Stores), AllProperties: stringMap(m.AllProperties), CreatedAt: types.StringValue(m.CreatedAt),
			UpdatedAt: types.StringValue(m.UpdatedAt), File: types.StringValue(m.APIFile), Schema: types.StringValue(m.Schema),
		},
		Region:     regionOrNull(m.Region),
		Properties: types.MapNull(types.StringType),
		Store:      types.StringNull(),
		Timeouts:   timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
	}
	if len(m.Properties) > 0 {
		out.Properties = stringMap(m.Properties)
	}
	if m.File != "" || m.URL != "" {
		out.Source = &imageSourceModel{File: nullIfEmpty(m.File), URL: nullIfEmpty(m.URL), Headers: types.MapNull(types.StringType),
			Decompress: types.StringValue(m.Decompress), Checksum: types.StringNull()}
	}
	if m.CreateTimeout != "" {
		out.Timeouts = timeouts.Value{Object: types.ObjectValueMust(timeoutsAttrTypes(), map[string]attr.Value{
			"create": types.StringValue(m.CreateTimeout), "update": types.StringNull(), "delete": types.StringNull()})}
	}
	return out
}

// MoveState takes over openstack_images_image_v2 (TPO) and pcd_images_image states.
func (r *ImageResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: moveImageState}}
}

func moveImageState(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if !movedFrom(req.SourceTypeName, req.SourceProviderAddress, "openstack", tpoImageType) &&
		!movedFrom(req.SourceTypeName, req.SourceProviderAddress, "pcd", pcdImageType) {
		return // not ours: the framework tries the next mover, or says none fits
	}
	attrs, err := rawStateAttrs(req.SourceRawState)
	var moved movedImage
	if err == nil {
		moved, err = movedImageFrom(attrs)
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Moving Image State",
			fmt.Sprintf("Moving %s to glance_image failed: %s. Use removed {} and import {} instead (see the migration guide).", req.SourceTypeName, err))
		return
	}
	model := moved.model()
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &model)...)
}
