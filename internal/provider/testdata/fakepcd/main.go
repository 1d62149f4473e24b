// Command fakepcd stands in for Platform9's pcd provider in TestAccMove_fromPCD. Terraform
// (checked with 1.11) refuses to plan a state that names a provider it cannot start ("This
// state requires provider registry.terraform.io/platform9/pcd, but that provider isn't
// available"), even when `moved {}` hands every pcd resource to another provider: it starts
// every provider the state names and reads its schema. It does not ask the source provider
// anything about the move (the target provider gets the raw JSON state), nor does it need the
// source types in that schema for plan and apply; they are served anyway, with pcd's
// attributes (platform9/terraform-provider-pcd, internal/services/images), so that
// `terraform show` can read the state before the move. pcd is not on the Go module proxy, so
// this binary is built from here. Every operation on a resource fails: a test cannot pass by
// using it.
package main

import (
	"context"
	"errors"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return pcd{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/platform9/pcd"})
	if err != nil {
		log.Fatal(err)
	}
}

type pcd struct{}

func (pcd) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "pcd"
}

func (pcd) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (pcd) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (pcd) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (pcd) Resources(context.Context) []func() resource.Resource {
	str := func(computed bool) schema.Attribute {
		return schema.StringAttribute{Optional: !computed, Computed: true}
	}
	image := map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true}, "name": schema.StringAttribute{Required: true},
		"container_format": schema.StringAttribute{Required: true}, "disk_format": schema.StringAttribute{Required: true},
		"local_file_path": schema.StringAttribute{Optional: true}, "image_source_url": schema.StringAttribute{Optional: true},
		"min_disk_gb": schema.Int64Attribute{Optional: true, Computed: true}, "min_ram_mb": schema.Int64Attribute{Optional: true, Computed: true},
		"protected": schema.BoolAttribute{Optional: true, Computed: true}, "visibility": str(false),
		"hidden": schema.BoolAttribute{Optional: true, Computed: true}, "verify_checksum": schema.BoolAttribute{Optional: true, Computed: true},
		"tags":       schema.SetAttribute{Optional: true, Computed: true, ElementType: types.StringType},
		"properties": schema.MapAttribute{Optional: true, Computed: true, ElementType: types.StringType},
		"checksum":   str(true), "size_bytes": schema.Int64Attribute{Computed: true}, "status": str(true), "owner": str(true),
		"created_at": str(true), "updated_at": str(true), "region": str(false),
	}
	member := func(memberRequired, statusRequired bool) map[string]schema.Attribute {
		return map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true}, "image_id": schema.StringAttribute{Required: true},
			"member_id":  schema.StringAttribute{Required: memberRequired, Optional: !memberRequired, Computed: !memberRequired},
			"status":     schema.StringAttribute{Required: statusRequired, Optional: !statusRequired, Computed: !statusRequired},
			"created_at": str(true), "updated_at": str(true), "schema": str(true), "region": str(false),
		}
	}
	return []func() resource.Resource{
		func() resource.Resource { return fake{"_images_image", image} },
		func() resource.Resource { return fake{"_images_image_access", member(true, false)} },
		func() resource.Resource { return fake{"_images_image_access_accept", member(false, true)} },
	}
}

// fake is a resource type with a schema and no behaviour.
type fake struct {
	suffix string
	attrs  map[string]schema.Attribute
}

var errFake = errors.New("fakepcd serves schemas only, for moved {} tests")

func (f fake) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + f.suffix
}

func (f fake) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: f.attrs}
}

func (fake) Create(_ context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.AddError("Fake Provider", errFake.Error())
}

func (fake) Read(_ context.Context, _ resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.AddError("Fake Provider", errFake.Error())
}

func (fake) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("Fake Provider", errFake.Error())
}

func (fake) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddError("Fake Provider", errFake.Error())
}
