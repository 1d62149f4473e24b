package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Per-object regions. Every resource and data source has an optional region that overrides the
// provider's for that object. The provider configuration authenticates once; a region other
// than its own gets its own Glance client for that region's image endpoint in the token's
// catalog (same token, re-authentication, HTTP client and retries), made on first use and kept
// for the run (regionMetas). A CRUD method binds its resource to the object's region with
// useRegion, ModifyPlan with planRegion, a data source's Read with useDataSourceRegion: after
// that, meta.client is the client of that region. This relies on the framework making a new
// resource (and data source) value for every request, which it does (fwserver's Resource and
// DataSource call the type's constructor each time).

// regionMetas is the per-region view of one provider configuration, shared by all its views.
type regionMetas struct {
	mu sync.Mutex
	// root is the provider's own meta (its region, its endpoint).
	root *providerMeta
	// iface is the provider's endpoint_interface ("" = admin if the region has one, else public).
	iface string
	views map[string]*providerMeta
}

// initRegions prepares meta for per-object regions after connect: it records the provider's
// region (when none is configured, the region of the catalog endpoint the provider uses) and
// the state views share (planned images, the region views).
func (m *providerMeta) initRegions(s settings) {
	m.planned = &plannedImages{}
	if m.region == "" {
		m.region = m.endpointRegion()
	}
	m.regions = &regionMetas{root: m, iface: s.endpointInterface, views: map[string]*providerMeta{}}
}

// endpointRegion is the region of the token's catalog whose image endpoint is the one the
// client uses; "" when there is no catalog or no such endpoint.
func (m *providerMeta) endpointRegion() string {
	ka, ok := m.client.Auth().(*keystoneAuth)
	if !ok {
		return ""
	}
	base := normalizeEndpoint(m.client.BaseURL())
	for _, ep := range ka.imageCatalogEndpoints() {
		if normalizeEndpoint(ep.URL) == base {
			return firstNonEmpty(ep.Region, ep.RegionID)
		}
	}
	return ""
}

// normalizeEndpoint drops what does not tell two image endpoints apart: a trailing slash and
// the API version.
func normalizeEndpoint(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	for _, v := range []string{"/v2", "/v2.0"} {
		u = strings.TrimSuffix(u, v)
	}
	return strings.TrimRight(u, "/")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// regionError is a region the provider cannot reach; it is reported on the region attribute.
type regionError struct{ summary, detail string }

func (e *regionError) Error() string { return e.detail }

// inRegion returns the meta whose client talks to region's image endpoint: meta's own for ""
// or the provider's region, else one made from the token's catalog on first use.
func (m *providerMeta) inRegion(region string) (*providerMeta, error) {
	if m.regions == nil {
		if region == "" || region == m.region {
			return m, nil
		}
		return nil, errors.New("the provider is not configured for regions; please report this issue to the provider developers")
	}
	rs := m.regions
	if region == "" || region == rs.root.region {
		return rs.root, nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if v, ok := rs.views[region]; ok {
		return v, nil
	}
	v, err := rs.newView(region)
	if err != nil {
		return nil, err
	}
	rs.views[region] = v
	return v, nil
}

// newView makes the meta of another region: the image endpoint of that region in the token's
// catalog, picked as the provider picks its own (endpoint_interface, else admin, else public).
func (rs *regionMetas) newView(region string) (*providerMeta, error) {
	root := rs.root
	ka, ok := root.client.Auth().(*keystoneAuth)
	if !ok {
		return nil, &regionError{"Region Not Available", fmt.Sprintf("region = %q is not the provider's region (%q), and the provider "+
			"authenticates with a token and a fixed endpoint, without Keystone: it has no catalog to find another region's image endpoint in. "+
			"Remove region, or configure the provider (an alias) with Keystone authentication or for that region's endpoint.", region, root.region)}
	}
	regions := imageRegions(ka.imageCatalogEndpoints())
	if !slices.Contains(regions, region) {
		have := "none"
		if len(regions) > 0 {
			have = quotedList(regions)
		}
		return nil, &regionError{"Unknown Region", fmt.Sprintf("region = %q: the token's catalog has no image endpoint in that region. "+
			"Regions with an image endpoint: %s.", region, have)}
	}
	url, err := catalogEndpoint(ka.ProviderClient, region, rs.iface)
	if err != nil {
		return nil, &regionError{"No Image Endpoint in Region", err.Error()}
	}
	c, err := root.client.WithEndpoint(url)
	if err != nil {
		return nil, err
	}
	return &providerMeta{client: c, projectID: root.projectID, region: region, planned: root.planned, regions: rs}, nil
}

// imageRegions lists, sorted, the regions that have an image endpoint of any interface.
func imageRegions(endpoints []catalogEndpointEntry) []string {
	var out []string
	for _, ep := range endpoints {
		if r := firstNonEmpty(ep.Region, ep.RegionID); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// regionDiag reports an error of inRegion on the region attribute.
func regionDiag(err error) diag.Diagnostic {
	var re *regionError
	if errors.As(err, &re) {
		return diag.NewAttributeErrorDiagnostic(path.Root("region"), re.summary, re.detail)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("region"), "Region Not Available", err.Error())
}

// useRegion binds *meta to the object's region, after the ready check: the region's value, or
// the provider's region when it is null (a plan that did not know it yet, a state written
// before region existed, an import without @region), which is then written to *region so that
// the state records it. False after an error in diags.
func useRegion(meta **providerMeta, region *types.String, diags *diag.Diagnostics) bool {
	m := *meta
	if !m.ready(diags) {
		return false
	}
	if region.IsNull() || region.IsUnknown() {
		*region = types.StringValue(m.regionName())
	}
	v, err := m.inRegion(region.ValueString())
	if err != nil {
		diags.Append(regionDiag(err))
		return false
	}
	*meta = v
	return true
}

// regionName is the provider's region as the state records it ("" when not known).
func (m *providerMeta) regionName() string {
	if m.regions != nil {
		return m.regions.root.region
	}
	return m.region
}

// useDataSourceRegion binds a data source to the region of its configuration and returns the
// region to record in its state. False after an error in diags.
func useDataSourceRegion(ctx context.Context, meta **providerMeta, config tfsdk.Config, diags *diag.Diagnostics) (types.String, bool) {
	var region types.String
	diags.Append(config.GetAttribute(ctx, path.Root("region"), &region)...)
	if diags.HasError() {
		return region, false
	}
	ok := useRegion(meta, &region, diags)
	return region, ok
}

// planRegion plans a resource's region: the configured one, else the one in state, else the
// provider's; a change of region replaces the resource. It returns the meta that plan-time
// checks against the cloud must use: the planned region's, or one that makes no call
// (canCall false) while that region is not known or not reachable, the latter reported as an
// attribute error naming the catalog's regions.
func planRegion(ctx context.Context, m *providerMeta, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) *providerMeta {
	if req.Plan.Raw.IsNull() || m == nil {
		return m
	}
	var config, state types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("region"), &config)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("region"), &state)...)
	}
	if resp.Diagnostics.HasError() {
		return m
	}
	known := !m.configUnknown
	planned, replace := plannedRegion(config, state, creating, m.regionName(), known)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("region"), planned)...)
	if replace {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("region"))
	}
	if planned.IsUnknown() || !known {
		return m.withoutCalls()
	}
	v, err := m.inRegion(planned.ValueString())
	if err != nil {
		resp.Diagnostics.Append(regionDiag(err))
		return m.withoutCalls()
	}
	return v
}

// plannedRegion decides the planned region and whether its change replaces the resource.
// config and state are the region's values (state null when creating or for a state written
// before region existed); provider is the provider's region, known unless the provider
// configuration is. A state without region was made in the provider's region.
func plannedRegion(config, state types.String, creating bool, provider string, providerKnown bool) (types.String, bool) {
	was := state
	if !creating && state.IsNull() && providerKnown {
		was = types.StringValue(provider)
	}
	switch {
	case config.IsUnknown():
		return types.StringUnknown(), !creating
	case !config.IsNull():
		return config, !creating && !was.IsNull() && was.ValueString() != config.ValueString()
	case !creating && !was.IsNull():
		return was, false
	case providerKnown:
		return types.StringValue(provider), false
	}
	return types.StringUnknown(), false
}

// withoutCalls is meta's view for a plan whose region is not known: canCall is false, so
// plan-time checks against the cloud are skipped, and the rest is shared.
func (m *providerMeta) withoutCalls() *providerMeta {
	return &providerMeta{projectID: m.projectID, region: m.region, configUnknown: true, planned: m.planned, regions: m.regions}
}

// regionDescription is the region argument's description; what is added says how the type
// uses it.
const regionDescription = "Region whose image endpoint (from the token's catalog) serves this %s, overriding the provider's `region`, " +
	"so that one provider configuration can reach several regions."

// regionResourceAttribute is the region argument of every resource: optional, recorded in state
// (the provider's region when not set), and a change replaces the resource (planRegion).
func regionResourceAttribute(what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true, Computed: true,
		MarkdownDescription: fmt.Sprintf(regionDescription, what) + " Default: the provider's region, recorded in state when the resource " +
			"is created or imported; the resource then stays in that region when the provider's region changes. Changing it replaces the " +
			"resource. A region that has no image endpoint in the catalog is a plan error that lists the regions that have one. " +
			"To import from another region, add `@<region>` to the import id.",
		Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// regionDataSourceAttribute is the region argument of every data source.
func regionDataSourceAttribute(what string) dschema.StringAttribute {
	return dschema.StringAttribute{
		Optional: true, Computed: true,
		MarkdownDescription: fmt.Sprintf(regionDescription, what) + " Default (and the computed value): the provider's region. " +
			"A region that has no image endpoint in the catalog is an error that lists the regions that have one.",
		Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// splitImportRegion splits "<id>@<region>" (an import id with a region) into the id and the
// region ("" when there is none).
func splitImportRegion(id string) (string, string) {
	i := strings.LastIndex(id, "@")
	if i < 0 {
		return id, ""
	}
	return id[:i], id[i+1:]
}
