package provider

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const movedImageID = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"

// tpoImageState is an openstack_images_image_v2 state as TPO v3.4.0 writes it after creating
// an image from a local file with one declared property.
func tpoImageState() map[string]any {
	return map[string]any{
		"id": movedImageID, "image_id": movedImageID, "name": "img", "container_format": "bare", "disk_format": "raw",
		"local_file_path": "/tmp/img.raw", "image_source_url": nil, "image_cache_path": "/root/.terraform/image_cache",
		"min_disk_gb": json.Number("1"), "min_ram_mb": json.Number("512"), "protected": false, "hidden": true,
		"tags": []any{"b", "a"}, "visibility": "shared", "verify_checksum": nil, "web_download": nil, "decompress": nil,
		"properties": map[string]any{"os_distro": "cirros", "hw_disk_bus": "scsi", "os_hash_algo": "sha512",
			"os_hash_value": "abc", "stores": "fast,slow", "os_glance_failed_import": "", "owner_specified.openstack.md5": "x"},
		"checksum": "md5sum", "size_bytes": json.Number("1024"), "status": "active", "owner": "p1",
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:01Z", "file": "/v2/images/x/file",
		"schema": "/v2/schemas/image", "metadata": map[string]any{}, "region": "RegionOne",
		"timeouts": map[string]any{"create": "45m"},
	}
}

func TestMovedImageFrom_tpoLocalFile(t *testing.T) {
	got, err := movedImageFrom(tpoImageState())
	if err != nil {
		t.Fatal(err)
	}
	want := movedImage{
		ID: movedImageID, Name: "img", DiskFormat: "raw", ContainerFormat: "bare", Visibility: "shared", Hidden: true,
		MinDiskGB: 1, MinRAMMB: 512, Tags: []string{"a", "b"},
		Properties:    map[string]string{"os_distro": "cirros", "hw_disk_bus": "scsi"},
		AllProperties: map[string]string{"os_distro": "cirros", "hw_disk_bus": "scsi", "owner_specified.openstack.md5": "x"},
		File:          "/tmp/img.raw", Decompress: "none", CreateTimeout: "45m", Status: "active", Checksum: "md5sum",
		HashAlgo: "sha512", HashValue: "abc", Owner: "p1", CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-01T00:00:01Z",
		APIFile: "/v2/images/x/file", Schema: "/v2/schemas/image", Size: 1024, Stores: []string{"fast", "slow"}, Region: "RegionOne",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestMovedImageFrom_cases(t *testing.T) {
	cases := map[string]struct {
		change func(map[string]any)
		check  func(movedImage) bool
	}{
		// TPO 1.x: no image_id, hidden or decompress; url source.
		"tpo1x": {func(s map[string]any) {
			delete(s, "image_id")
			delete(s, "hidden")
			delete(s, "decompress")
			delete(s, "timeouts")
			s["local_file_path"], s["image_source_url"] = nil, "https://example.com/img.raw"
		}, func(m movedImage) bool {
			return m.ID == movedImageID && !m.Hidden && m.URL == "https://example.com/img.raw" && m.File == "" && m.Decompress == "none" && m.CreateTimeout == ""
		}},
		"decompressed url": {func(s map[string]any) {
			s["local_file_path"], s["image_source_url"], s["decompress"] = nil, "https://x/i.xz", true
		},
			func(m movedImage) bool { return m.URL == "https://x/i.xz" && m.Decompress == "auto" }},
		"decompress ignored for a local file": {func(s map[string]any) { s["decompress"] = true },
			func(m movedImage) bool { return m.File == "/tmp/img.raw" && m.Decompress == "none" }},
		"no tags, no properties": {func(s map[string]any) { s["tags"], s["properties"] = nil, nil },
			func(m movedImage) bool {
				return len(m.Tags) == 0 && m.Tags != nil && len(m.Properties) == 0 && len(m.AllProperties) == 0
			}},
		"id from image_id": {func(s map[string]any) { s["id"] = "" },
			func(m movedImage) bool { return m.ID == movedImageID }},
		"defaults for missing formats": {func(s map[string]any) { delete(s, "container_format"); delete(s, "visibility") },
			func(m movedImage) bool { return m.ContainerFormat == "bare" && m.Visibility == "private" }},
		// pcd: no image_id, decompress, timeouts; image_source_url is a web-download URL.
		"pcd": {func(s map[string]any) {
			for _, k := range []string{"image_id", "decompress", "timeouts", "web_download", "image_cache_path"} {
				delete(s, k)
			}
			s["properties"] = map[string]any{"os_distro": "ubuntu"}
		}, func(m movedImage) bool {
			return m.ID == movedImageID && reflect.DeepEqual(m.Properties, map[string]string{"os_distro": "ubuntu"}) && m.HashValue == ""
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := tpoImageState()
			tc.change(s)
			got, err := movedImageFrom(s)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(got) {
				t.Errorf("unexpected mapping: %+v", got)
			}
		})
	}
}

func TestMovedImageFrom_badID(t *testing.T) {
	s := tpoImageState()
	s["id"], s["image_id"] = "not-a-uuid", nil
	if _, err := movedImageFrom(s); err == nil {
		t.Error("a state without an image UUID was moved")
	}
}

func TestMovedFrom_cases(t *testing.T) {
	cases := []struct {
		typeName, address, provider string
		want                        bool
	}{
		{tpoImageType, "registry.terraform.io/terraform-provider-openstack/openstack", "openstack", true},
		{tpoImageType, "registry.terraform.io/terraform-providers/openstack", "openstack", true},
		{tpoImageType, "registry.opentofu.org/terraform-provider-openstack/openstack", "openstack", true},
		{tpoImageType, "registry.terraform.io/someone/openstackish", "openstack", false},
		{pcdImageType, "registry.terraform.io/platform9/pcd", "pcd", true},
		{"openstack_compute_instance_v2", "registry.terraform.io/terraform-provider-openstack/openstack", "openstack", false},
	}
	for _, c := range cases {
		if got := movedFrom(c.typeName, c.address, c.provider, tpoImageType, pcdImageType); got != c.want {
			t.Errorf("movedFrom(%s, %s) = %v, want %v", c.typeName, c.address, got, c.want)
		}
	}
}

func TestMovedMemberFrom_cases(t *testing.T) {
	cases := map[string]struct {
		state   map[string]any
		want    movedMember
		wantErr bool
	}{
		"tpo access": {state: map[string]any{"id": movedImageID + "/p2", "image_id": movedImageID, "member_id": "p2", "status": "pending",
			"created_at": "c", "updated_at": "u", "schema": "/v2/schemas/member", "region": "RegionOne"},
			want: movedMember{ImageID: movedImageID, MemberID: "p2", Status: "pending", CreatedAt: "c", UpdatedAt: "u", Region: "RegionOne"}},
		"ids only in id": {state: map[string]any{"id": movedImageID + "/p2", "status": "accepted"},
			want: movedMember{ImageID: movedImageID, MemberID: "p2", Status: "accepted"}},
		"no member": {state: map[string]any{"id": movedImageID, "image_id": movedImageID}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := movedMemberFrom(tc.state)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestMoveResourceState_protocol sends MoveResourceState as Terraform does, with states
// written the way TPO and pcd write them, and reads the glance state the provider returns.
func TestMoveResourceState_protocol(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	pcdImage := tpoImageState()
	for _, k := range []string{"image_id", "decompress", "timeouts", "web_download", "image_cache_path", "metadata"} {
		delete(pcdImage, k)
	}
	pcdImage["properties"] = map[string]any{"os_distro": "cirros"}
	cases := []struct {
		source, provider, target string
		state                    map[string]any
		want                     map[string]string // attribute -> value (strings only)
	}{
		{tpoImageType, "registry.terraform.io/terraform-provider-openstack/openstack", "glance_image", tpoImageState(),
			map[string]string{"id": movedImageID, "name": "img", "visibility": "shared", "os_hash_value": "abc", "region": "RegionOne"}},
		{pcdImageType, "registry.terraform.io/platform9/pcd", "glance_image", pcdImage,
			map[string]string{"id": movedImageID, "container_format": "bare", "region": "RegionOne"}},
		{pcdAccessType, "registry.terraform.io/platform9/pcd", "glance_image_member",
			map[string]any{"id": movedImageID + "/p2", "image_id": movedImageID, "member_id": "p2", "status": "pending", "schema": "s", "region": "r"},
			map[string]string{"id": movedImageID + "/p2", "member_id": "p2", "status": "pending", "region": "r"}},
		{pcdAccessAcceptType, "registry.terraform.io/platform9/pcd", "glance_image_member_status",
			map[string]any{"id": movedImageID + "/p2", "image_id": movedImageID, "member_id": "p2", "status": "accepted", "region": "r"},
			map[string]string{"id": movedImageID + "/p2", "status": "accepted", "region": "r"}},
		{tpoAccessAcceptType, "registry.terraform.io/terraform-provider-openstack/openstack", "glance_image_member_status",
			map[string]any{"id": movedImageID + "/p2", "image_id": movedImageID, "member_id": "p2", "status": "rejected"},
			map[string]string{"id": movedImageID + "/p2", "status": "rejected", "region": nullValue}},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			raw, _ := json.Marshal(c.state)
			resp, err := server.MoveResourceState(context.Background(), &tfprotov6.MoveResourceStateRequest{
				SourceProviderAddress: c.provider, SourceTypeName: c.source, SourceSchemaVersion: 0,
				SourceState: &tfprotov6.RawState{JSON: raw}, TargetTypeName: c.target,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range resp.Diagnostics {
				t.Fatalf("diagnostic: %s: %s", d.Summary, d.Detail)
			}
			got := decodeTargetState(t, server, c.target, resp.TargetState)
			for k, v := range c.want {
				if g, ok := got[k]; v == nullValue && ok {
					t.Errorf("%s = %q, want null (the refresh after the move records the provider's)", k, g)
				} else if v != nullValue && got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// nullValue in an expected state: the attribute is null.
const nullValue = "<null>"

// decodeTargetState reads the string attributes of a state the provider returned.
func decodeTargetState(t *testing.T, server tfprotov6.ProviderServer, typeName string, state *tfprotov6.DynamicValue) map[string]string {
	t.Helper()
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ := schemas.ResourceSchemas[typeName].ValueType()
	v, err := state.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, a := range attrs {
		var s string
		if a.Type().Is(tftypes.String) && a.IsKnown() && !a.IsNull() && a.As(&s) == nil {
			out[k] = s
		}
	}
	return out
}

func TestMoveResourceState_unknownSource(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.MoveResourceState(context.Background(), &tfprotov6.MoveResourceStateRequest{
		SourceProviderAddress: "registry.terraform.io/hashicorp/aws", SourceTypeName: "aws_ami",
		SourceState: &tfprotov6.RawState{JSON: []byte(`{"id":"ami-1"}`)}, TargetTypeName: "glance_image",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) == 0 || resp.TargetState != nil {
		t.Errorf("a move from aws_ami was accepted: %+v", resp)
	}
}
