package provider

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// The decisions of glance_image_import's ValidateConfig and ModifyPlan, as small functions over
// plain Go values. The framework methods read the configuration, plan and state, call these,
// and write what they return.

// attrProblem is an error on one attribute.
type attrProblem struct {
	attr, summary, detail string
}

func (p attrProblem) diagnostic() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(p.attr), p.summary, p.detail)
}

// importValues are the arguments checked on their own, whatever the method; nil when null or
// unknown.
type importValues struct {
	StoresAndAllStores bool
	Checksum           *string
	File               *string
	URI                *string
}

// importValueProblems checks the arguments that make sense on their own.
func importValueProblems(v importValues) []attrProblem {
	var out []attrProblem
	if v.StoresAndAllStores {
		out = append(out, attrProblem{"stores", "Conflicting Store Arguments",
			"stores and all_stores = true cannot be used together: list the stores, or import into all of them."})
	}
	if v.Checksum != nil {
		if _, _, err := glance.ParseChecksum(*v.Checksum); err != nil {
			out = append(out, attrProblem{"checksum", "Invalid Checksum",
				fmt.Sprintf("checksum: %s. Write it as ALGORITHM:HEX with algorithm %s, for example sha256:9f86d081….", err, strings.Join(glance.HashAlgorithms, ", "))})
		}
	}
	if v.File != nil {
		if p := fileProblem(*v.File); p != nil {
			out = append(out, *p)
		}
	}
	if v.URI != nil && !isFetchableURL(*v.URI) {
		out = append(out, attrProblem{"uri", "Invalid URI",
			fmt.Sprintf("uri must be an absolute http:// or https:// URL that Glance can fetch, got %q.", *v.URI)})
	}
	return out
}

// fileProblem checks that file names a readable file (not a directory).
func fileProblem(file string) *attrProblem {
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		return &attrProblem{"file", "File Not Readable",
			fmt.Sprintf("The file to stage cannot be read: %s. Check the path (relative paths start in the directory Terraform runs in; path.module helps).", err)}
	case fi.IsDir():
		return &attrProblem{"file", "File Is a Directory", fmt.Sprintf("%s is a directory; file must name the image file to stage.", file)}
	}
	return nil
}

// isFetchableURL: an absolute http(s) URL.
func isFetchableURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// importMethodArguments is which method takes each method argument, in the order they are
// checked; no other method takes it.
var importMethodArguments = []struct{ name, method string }{
	{"file", glance.MethodGlanceDirect},
	{"uri", glance.MethodWebDownload},
	{"glance_image_id", glance.MethodGlanceDownload},
	{"glance_region", glance.MethodGlanceDownload},
	{"glance_service_interface", glance.MethodGlanceDownload},
}

// importRequiredArguments is what each method needs, with what the argument is.
var importRequiredArguments = map[string][]struct{ name, what string }{
	glance.MethodGlanceDirect: {{"file", "the local file to stage"}},
	glance.MethodWebDownload:  {{"uri", "the URL Glance downloads"}},
	glance.MethodGlanceDownload: {
		{"glance_image_id", "the id of the image to copy from the other region"},
		{"glance_region", "the region of that image"},
	},
}

// importArgumentProblems checks the method arguments against the method: set is which of them
// the configuration sets.
func importArgumentProblems(method string, set map[string]bool) []attrProblem {
	var out []attrProblem
	for _, a := range importMethodArguments {
		if set[a.name] && a.method != method {
			out = append(out, attrProblem{a.name, "Argument Not Used by This Method",
				fmt.Sprintf("%s is used only with method = %q; this import uses %q. Remove %s, or change the method.", a.name, a.method, method, a.name)})
		}
	}
	for _, a := range importRequiredArguments[method] {
		if !set[a.name] {
			out = append(out, attrProblem{a.name, "Missing Argument for " + method, fmt.Sprintf("method = %q needs %s: set %s.", method, a.what, a.name)})
		}
	}
	return out
}

// importMethodFacts are what the method-specific checks look at.
type importMethodFacts struct {
	Method string
	// SourceIsTarget: glance_image_id is known and equals image_id.
	SourceIsTarget bool
	// NoTargetStores: neither stores nor all_stores = true (all_stores known).
	NoTargetStores bool
}

// importMethodProblems checks what only one method needs: glance-download cannot copy an image
// from itself, copy-image needs target stores.
func importMethodProblems(f importMethodFacts) []attrProblem {
	switch {
	case f.Method == glance.MethodGlanceDownload && f.SourceIsTarget:
		return []attrProblem{{"glance_image_id", "Image Cannot Be Its Own Source",
			"glance_image_id names the image being imported into; it must be the source image in glance_region."}}
	case f.Method == glance.MethodCopyImage && f.NoTargetStores:
		return []attrProblem{{"stores", "Missing Target Stores",
			`method = "copy-image" copies the image's data to other stores: set stores (the stores to copy to) or all_stores = true.`}}
	}
	return nil
}

// importReplaceArguments lists, sorted, the changed arguments that need a new import. changed
// says which arguments differ between state and plan. After terraform import (adopted: the
// state has no method) the arguments are adopted from the configuration in place, never by a
// replacement; only another image replaces. copy-image changes its stores in place.
func importReplaceArguments(adopted bool, stateMethod, planMethod string, changed map[string]bool) []string {
	names := []string{"image_id"}
	if !adopted {
		names = append(names, "method", "file", "uri", "glance_image_id", "glance_region", "glance_service_interface")
		if stateMethod != glance.MethodCopyImage || planMethod != glance.MethodCopyImage {
			names = append(names, "stores", "all_stores")
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !changed[n] })
	slices.Sort(names)
	return names
}

// copiesMove says whether an in-place change moves data between stores, so that the stores
// Glance reports change: a copy-image import that changes stores or all_stores, or is adopted.
func copiesMove(planMethod string, adopted, storesChanged, allStoresChanged bool) bool {
	return planMethod == glance.MethodCopyImage && (adopted || storesChanged || allStoresChanged)
}

// importPlanChange is what a plan changes, for the checks against the cloud.
type importPlanChange struct {
	// Creating: a new import (create, or replacement).
	Creating                                       bool
	MethodChanged, StoresChanged, AllStoresChanged bool
}

// methodNew: the method is new to this resource.
func (c importPlanChange) methodNew() bool { return c.Creating || c.MethodChanged }

// methodNotOffered checks that the cloud offers method.
func methodNotOffered(method string, offered []string) *attrProblem {
	if slices.Contains(offered, method) {
		return nil
	}
	list := "none (interoperable import is disabled)"
	if len(offered) > 0 {
		list = quotedList(offered)
	}
	return &attrProblem{"method", "Import Method Not Offered",
		fmt.Sprintf("This cloud does not offer the %q import method (GET /v2/info/import). It offers: %s. Choose one of those.", method, list)}
}

// storeChoice is what a plan newly asks of the cloud's stores.
type storeChoice struct {
	// CopyImage: a new copy-image import (the method is offered).
	CopyImage bool
	// AllStores: all_stores newly true.
	AllStores bool
	// Stores are the named stores, when they are new (StoresSet).
	Stores    []string
	StoresSet bool
}

func (s storeChoice) any() bool { return s.CopyImage || s.AllStores || s.StoresSet }

// storeProblems checks a store choice against the cloud's stores. Choosing stores, all stores
// or copying between stores needs a cloud with multiple stores (unsupported: it has none);
// without them Glance answers the import with a bare HTTP 500.
func storeProblems(s storeChoice, stores []glance.Store, unsupported bool) []attrProblem {
	switch {
	case unsupported && s.CopyImage:
		// One error, on the cause: removing stores or all_stores would not make copy-image work.
		return []attrProblem{{"method", "Cloud Has No Multiple Stores",
			`method = "copy-image" copies an image's data from one store to others, and this cloud does not support multiple stores ` +
				"(GET /v2/info/stores is not available): the data is already in its only store. Remove this glance_image_import."}}
	case unsupported && s.AllStores:
		return []attrProblem{{"all_stores", "Cloud Has No Multiple Stores",
			"This cloud does not support multiple stores (GET /v2/info/stores is not available), so all_stores cannot be used. Remove all_stores to use the default store."}}
	case unsupported:
		return []attrProblem{{"stores", "Cloud Has No Multiple Stores",
			"This cloud does not support multiple stores (GET /v2/info/stores is not available), so stores cannot be chosen. Remove stores to use the default store."}}
	}
	ids := make([]string, 0, len(stores))
	for _, st := range stores {
		ids = append(ids, st.ID)
	}
	var out []attrProblem
	for _, name := range s.Stores {
		if !slices.Contains(ids, name) {
			out = append(out, attrProblem{"stores", "Unknown Store",
				fmt.Sprintf("This cloud has no store %q (GET /v2/info/stores). Its stores are: %s.", name, quotedList(ids))})
		}
	}
	return out
}

// catalogProblem checks that the token's catalog has an image endpoint in region for
// interface iface, as glance-download needs; regions compare ignoring case, as Glance does.
func catalogProblem(endpoints []catalogImageEndpoint, region, iface string) *attrProblem {
	ifaces := catalogInterfaces(endpoints, region)
	if slices.Contains(ifaces, iface) {
		return nil
	}
	if len(ifaces) > 0 {
		return &attrProblem{"glance_service_interface", "No Image Endpoint for This Interface",
			fmt.Sprintf("glance-download reads the source image through the %s image endpoint of region %q in your token's catalog, and that region "+
				"has image endpoints only for %s. Set glance_service_interface to one of those.", iface, region, quotedList(ifaces))}
	}
	regions := "no region"
	if r := catalogRegions(endpoints, iface); len(r) > 0 {
		regions = quotedList(r)
	}
	return &attrProblem{"glance_region", "Region Not in Catalog",
		fmt.Sprintf("glance-download reads the source image through the image endpoint of glance_region in your token's catalog, and the catalog "+
			"has no image endpoint in region %q. Regions with an image endpoint for the %s interface: %s. Set glance_region to the one that holds the source image.",
			region, iface, regions)}
}

// storesWithData are the stores of want that hold img's data or that Glance lists as failed
// (which all_stores_must_succeed = false accepted).
func storesWithData(want []string, img *glance.Image) []string {
	return slices.DeleteFunc(slices.Clone(want), func(s string) bool {
		return !slices.Contains(img.Stores, s) && !slices.Contains(img.FailedImport, s)
	})
}

// listOrNoStore renders a store list for a message.
func listOrNoStore(list []string) string {
	if len(list) == 0 {
		return "no store"
	}
	return strings.Join(list, ", ")
}
