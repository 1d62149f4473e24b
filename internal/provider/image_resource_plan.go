package provider

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// The decisions of glance_image's ValidateConfig and ModifyPlan, as pure functions over plain
// values: the framework methods read the configuration, plan and state into these types, do
// any I/O (stat and hash a file, list stores), and turn the answers into diagnostics.

// sourceDecl is a declared source with known values ("" for an unset attribute).
type sourceDecl struct {
	File, URL, Decompress, Checksum string
}

// imageFacts is what the state says of an existing image.
type imageFacts struct {
	ID, Status  string
	HashAlgo    string // os_hash_algo
	HashValue   string // os_hash_value
	MD5         string // checksum
	Size        int64  // size in bytes, 0 when unknown
	Deactivated bool
	Source      *sourceDecl // the source the state records, nil without one
}

// checksumMismatch says that the file does not have the declared source.checksum.
type checksumMismatch struct {
	Algorithm, Actual, Want string
}

// keptInPlace lists the computed attributes whose state values an in-place update keeps
// instead of showing them as (known after apply): stores never change in place, status only
// with deactivated, all_properties only with properties.
func keptInPlace(deactivatedChanged, propertiesChanged bool) []string {
	kept := []string{"stores"}
	if !deactivatedChanged {
		kept = append(kept, "status")
	}
	if !propertiesChanged {
		kept = append(kept, "all_properties")
	}
	return kept
}

// keptImportedProperties lists the properties adopted by terraform import that are still in
// the state but that the configuration does not declare: the update leaves them in Glance.
func keptImportedProperties(adopted, inState, declared []string) []string {
	var keep []string
	for _, k := range adopted {
		if slices.Contains(inState, k) && !slices.Contains(declared, k) {
			keep = append(keep, k)
		}
	}
	return keep
}

// cannotDeactivate reports a plan to deactivate an image that has no data and will get none:
// a new image without source, or a record still queued without data.
func cannotDeactivate(creating, hasSource bool, img imageFacts, deactivate bool) bool {
	if hasSource || !deactivate {
		return false
	}
	if creating {
		return true
	}
	noData := img.Status == glance.StatusQueued && img.HashValue == ""
	return noData && !img.Deactivated
}

// sourceChecksumChanged reports a declared source.checksum that differs from the one the state
// records (letter case aside).
func sourceChecksumChanged(prior *sourceDecl, checksum string) bool {
	if _, digest, _ := glance.ParseChecksum(checksum); digest == "" {
		return false
	}
	return prior == nil || !sameChecksum(prior.Checksum, checksum)
}

// imageHasChecksum says what the image's own digests tell of a declared checksum: known is
// false when they use another algorithm.
func imageHasChecksum(img imageFacts, algo, digest string) (known, matches bool) {
	switch {
	case algo == img.HashAlgo && img.HashValue != "":
		return true, digest == img.HashValue
	case algo == "md5" && img.MD5 != "":
		return true, digest == img.MD5
	}
	return false, false
}

// replaceReason decides, without reading any file, whether an existing image must be replaced
// for its declared source: a queued record gaining data, a new URL, or a new checksum its data
// does not have. compareFile says that a file source must be compared with the image
// (fileHashAlgorithms, then fileReplaceReason).
func replaceReason(img imageFacts, src sourceDecl) (reason string, compareFile bool) {
	switch {
	case img.Status == glance.StatusQueued && img.HashValue == "":
		// A record without data (created without source): its data can only come with a new image.
		return "the image has no data yet (status queued) and source now declares some", false
	case src.URL != "":
		return urlReplaceReason(img, src), false
	}
	return "", src.File != ""
}

// urlReplaceReason: a changed URL replaces (its data is unknown without a download); so does a
// changed checksum the image's digests do not confirm.
func urlReplaceReason(img imageFacts, src sourceDecl) string {
	if img.Source != nil && img.Source.URL != src.URL {
		return "source.url changed; the provider cannot tell whether the new URL serves the same data without downloading it"
	}
	if !sourceChecksumChanged(img.Source, src.Checksum) {
		return ""
	}
	algo, digest, _ := glance.ParseChecksum(src.Checksum)
	if known, matches := imageHasChecksum(img, algo, digest); known && matches {
		return ""
	}
	return fmt.Sprintf("source.checksum changed to %q, which is not the checksum of the image's data", src.Checksum)
}

// adoptedURLCheck says whether the length source.url serves must be compared with the image:
// the state records no source yet (the image was adopted by terraform import, or filled by
// another resource), and the data is not decompressed, so the bytes served are the image's.
func adoptedURLCheck(img imageFacts, src sourceDecl) bool {
	return img.Source == nil && src.URL != "" && src.Decompress == "none" && img.Size > 0
}

// adoptedURLReplaceReason compares the length source.url serves (-1 or 0: not said) with the
// adopted image's size. A difference means the URL does not serve the image's data: like a
// file with other content, it replaces the image (the plan says why before anything happens).
// Equal sizes prove no more than that: the bytes themselves are not compared.
func adoptedURLReplaceReason(imageSize, urlSize int64) string {
	if urlSize <= 0 || imageSize <= 0 || urlSize == imageSize {
		return ""
	}
	return fmt.Sprintf("source.url serves %d bytes (its Content-Length) while the image holds %d, so the image does not hold that URL's data", urlSize, imageSize)
}

// missingSourceFileIsWarning: a file that disappeared after its data was uploaded changes
// nothing (a warning); a new path that does not exist is an error.
func missingSourceFileIsWarning(prior *sourceDecl, file string) bool {
	return prior != nil && prior.File == file
}

// fileHashAlgorithms decides which digests of the source file the plan must compute: the
// image's os_hash_algo unless cached (the digest of a fingerprint that still matches, "" when
// stale), and the algorithm of source.checksum when the file is read anyway or the checksum
// changed. None when the cache and the image's own digests answer everything; a mismatch when
// they show that the file does not have the declared checksum.
func fileHashAlgorithms(img imageFacts, src sourceDecl, cached string) ([]string, *checksumMismatch) {
	sumAlgo, sumDigest, _ := glance.ParseChecksum(src.Checksum)
	fresh := cached == ""
	needSum := sumDigest != "" && sumAlgo != img.HashAlgo && (fresh || sourceChecksumChanged(img.Source, src.Checksum))
	if needSum && !fresh && cached == img.HashValue {
		// The file is the image's data: the image's md5 answers for it.
		if known, matches := imageHasChecksum(img, sumAlgo, sumDigest); known {
			if !matches {
				return nil, &checksumMismatch{Algorithm: sumAlgo, Actual: img.MD5, Want: sumDigest}
			}
			needSum = false
		}
	}
	if !fresh && !needSum {
		return nil, nil
	}
	if needSum {
		return []string{img.HashAlgo, sumAlgo}, nil
	}
	return []string{img.HashAlgo}, nil
}

// fileReplaceReason compares the file's digests (its os_hash_algo digest, and the checksum's
// algorithm when fileHashAlgorithms asked for it) with source.checksum and with the image.
func fileReplaceReason(img imageFacts, src sourceDecl, digests map[string]string) (string, *checksumMismatch) {
	sumAlgo, sumDigest, _ := glance.ParseChecksum(src.Checksum)
	got := digests[img.HashAlgo]
	if actual, hashed := digests[sumAlgo]; hashed && sumAlgo != img.HashAlgo && actual != sumDigest {
		return "", &checksumMismatch{Algorithm: sumAlgo, Actual: actual, Want: sumDigest}
	}
	if sumDigest != "" && sumAlgo == img.HashAlgo && got != sumDigest {
		return "", &checksumMismatch{Algorithm: sumAlgo, Actual: got, Want: sumDigest}
	}
	if got != img.HashValue {
		return fmt.Sprintf("the content of %s changed: its %s is %s, the image's os_hash_value is %s",
			src.File, img.HashAlgo, abbrev(got), abbrev(img.HashValue)), nil
	}
	return "", nil
}

// planProblem is a diagnostic of a decision: Attribute is a dotted path ("source.url"), Key a
// map key below it.
type planProblem struct {
	Attribute, Key  string
	Summary, Detail string
	Warning         bool
}

// path returns the attribute path of the problem.
func (p planProblem) path() path.Path {
	parts := strings.Split(p.Attribute, ".")
	at := path.Root(parts[0])
	for _, name := range parts[1:] {
		at = at.AtName(name)
	}
	if p.Key != "" {
		at = at.AtMapKey(p.Key)
	}
	return at
}

// sourceConfig is source as configured. The Set fields count unknown values as set; the
// pointers are nil when a value is null or unknown.
type sourceConfig struct {
	FileSet, URLSet bool
	File, URL       *string
	Checksum        *string
	HeadersKnown    bool // headers set to a known value
	FileIsDir       bool // File names a directory (the caller stats it)
}

// imageConfigValues is what ValidateConfig checks.
type imageConfigValues struct {
	PropertyKeys []string
	StoreSet     bool
	Source       *sourceConfig
}

// imageConfigProblems checks a configuration: reserved property names, store without source,
// and the source's file, url, headers and checksum.
func imageConfigProblems(c imageConfigValues) []planProblem {
	var problems []planProblem
	for _, k := range reservedPropertyNames(c.PropertyKeys) {
		problems = append(problems, planProblem{Attribute: "properties", Key: k, Summary: "Reserved Property Name",
			Detail: reservedPropertyDetail(k)})
	}
	if c.Source == nil {
		if c.StoreSet {
			problems = append(problems, planProblem{Attribute: "store", Warning: true, Summary: "Store Without Source",
				Detail: "store only chooses where the data of source is uploaded; without source it has no effect. " +
					"To put an image's data in a store, use glance_image_import (its stores argument), or add source."})
		}
		return problems
	}
	return append(problems, sourceConfigProblems(*c.Source)...)
}

// reservedPropertyDetail says why key cannot be declared.
func reservedPropertyDetail(k string) string {
	if k == glance.PendingProperty {
		return fmt.Sprintf("%q is reserved by this provider: it marks an image whose create has not finished, so that an apply "+
			"interrupted before Terraform saved the image is cleaned up by the next one. Choose another key.", k)
	}
	return fmt.Sprintf("%q is not a custom property: it is an image attribute Glance manages or reserves. "+
		"Use the resource's own argument (such as name, visibility, hidden, min_disk_gb) or choose another key.", k)
}

// reservedPropertyNames lists the keys that are image attributes, reserved by Glance, or
// reserved by this provider (glance.PendingProperty), sorted.
func reservedPropertyNames(keys []string) []string {
	var reserved []string
	for _, k := range keys {
		if glance.IsBaseKey(k) || strings.HasPrefix(k, "os_glance") || k == "os_hidden" || k == glance.PendingProperty {
			reserved = append(reserved, k)
		}
	}
	slices.Sort(reserved)
	return reserved
}

// sourceConfigProblems checks source: exactly one of file and url, an http(s) url, headers
// only with url, a well-formed checksum, a file that is not a directory.
func sourceConfigProblems(s sourceConfig) []planProblem {
	var problems []planProblem
	add := func(attribute, summary, detail string) {
		problems = append(problems, planProblem{Attribute: attribute, Summary: summary, Detail: detail})
	}
	switch {
	case s.FileSet && s.URLSet:
		add("source", "Conflicting Image Sources", "source sets both file and url. Set exactly one: file for a local path, url for an HTTP(S) download.")
	case !s.FileSet && !s.URLSet:
		add("source", "Missing Image Source", "source sets neither file nor url. Set one of them, or remove source to create an image record without data.")
	}
	if s.URL != nil && !httpURL(*s.URL) {
		add("source.url", "Invalid Source URL", fmt.Sprintf("source.url %q is not an absolute http:// or https:// URL.", glance.RedactURL(*s.URL)))
	}
	if s.HeadersKnown && !s.URLSet && s.FileSet {
		add("source.headers", "Headers Without URL", "source.headers only apply to a url source; remove them.")
	}
	if s.Checksum != nil {
		if _, _, err := glance.ParseChecksum(*s.Checksum); err != nil {
			add("source.checksum", "Invalid Checksum", "source.checksum: "+err.Error()+".")
		}
	}
	if s.File != nil && s.FileIsDir {
		add("source.file", "Source Is a Directory", fmt.Sprintf("source.file %s is a directory. Point it at the image file itself.", *s.File))
	}
	return problems
}

// httpURL reports an absolute http:// or https:// URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// imageReplaceFields are the values of an image whose change replaces it: the schema marks
// them RequiresReplace, and the framework does not tell ModifyPlan which attribute plan
// modifiers asked for a replacement, so the plan compares them itself.
type imageReplaceFields struct {
	ID, DiskFormat, ContainerFormat, Store string
	HasSource                              bool
}

// replacingChanges lists why an existing image is replaced, in words: the attributes Glance
// cannot change in place that change, and dataReason (why its data changes, "" when it
// does not).
func replacingChanges(prior, planned imageReplaceFields, dataReason string) []string {
	var changes []string
	changed := func(attribute, from, to string) {
		if from != to {
			changes = append(changes, fmt.Sprintf("%s changes from %q to %q", attribute, from, to))
		}
	}
	changed("id", prior.ID, planned.ID)
	changed("disk_format", prior.DiskFormat, planned.DiskFormat)
	changed("container_format", prior.ContainerFormat, planned.ContainerFormat)
	if planned.HasSource {
		changed("store", prior.Store, planned.Store)
	}
	if dataReason != "" {
		changes = append(changes, dataReason)
	}
	return changes
}

// replacementFacts is what decides whether a planned replacement of an existing image can be
// carried out.
type replacementFacts struct {
	// ConfigID is the id set in the configuration ("" when it is not set).
	ConfigID, StateID string
	// Protected is the image's protected flag in state: Glance refuses to delete it.
	Protected bool
	Changes   []string // replacingChanges
}

// replacementProblems refuses, at plan, a replacement that would fail half-way: an id fixed in
// the configuration (Glance never reuses an image id, so the create after the delete fails and
// leaves nothing) and a protected image (Glance refuses the delete).
func replacementProblems(f replacementFacts) []planProblem {
	if len(f.Changes) == 0 {
		return nil
	}
	why := strings.Join(f.Changes, "; ")
	var problems []planProblem
	if f.ConfigID != "" && f.ConfigID == f.StateID {
		problems = append(problems, planProblem{Attribute: "id", Summary: "Image With a Fixed ID Cannot Be Replaced",
			Detail: fmt.Sprintf("This change replaces image %s (%s): Terraform would delete the image and create a new one with the id the "+
				"configuration sets. Glance never reuses an image id, not even after the image is deleted, so the create would fail "+
				"after the image is gone. Remove id from the configuration to let the provider choose a new id for the replacement, "+
				"or revert the change. Nothing was changed.", f.StateID, why)})
	}
	if f.Protected {
		problems = append(problems, planProblem{Attribute: "protected", Summary: "Protected Image Cannot Be Replaced",
			Detail: fmt.Sprintf("This change replaces image %s (%s), but the image is protected and Glance refuses to delete it. "+
				"Set protected = false and apply that change alone first, then make this one. Nothing was changed.", f.StateID, why)})
	}
	return problems
}

// destroyProblem refuses, at plan, to destroy a protected image: Glance would refuse the
// delete at apply.
func destroyProblem(id string, protected bool) *planProblem {
	if !protected {
		return nil
	}
	return &planProblem{Summary: "Image Is Protected",
		Detail: fmt.Sprintf("Image %s is protected, and Glance refuses to delete a protected image. Set protected = false on the "+
			"glance_image and apply, then destroy it (or remove it from the configuration). Nothing was changed.", id)}
}

// fileQuotaProblem: a new image's local file that is larger than what the project's
// image_size_total quota has left cannot be uploaded. remaining and reported come from
// glance.Usage.RemainingBytes (reported is false without unified limits).
func fileQuotaProblem(file string, size, remaining int64, reported bool) *planProblem {
	if !reported || size <= remaining {
		return nil
	}
	return &planProblem{Attribute: "source.file", Summary: "Image Larger Than the Quota Left",
		Detail: fmt.Sprintf("source.file %s has %d bytes (%s), but the project's image_size_total quota has only %d bytes (%s) left. "+
			"Delete images the project no longer needs, or ask for a higher limit (the glance_usage data source shows limit and usage).",
			file, size, mibString(size), remaining, mibString(remaining))}
}

// mibString words a byte count in MiB, as Glance's quotas count.
func mibString(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
