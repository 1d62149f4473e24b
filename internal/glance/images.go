package glance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Image statuses (https://docs.openstack.org/glance/latest/user/statuses.html).
const (
	StatusQueued      = "queued"
	StatusSaving      = "saving"
	StatusUploading   = "uploading"
	StatusImporting   = "importing"
	StatusActive      = "active"
	StatusKilled      = "killed"
	StatusDeleted     = "deleted"
	StatusPendingDel  = "pending_delete"
	StatusDeactivated = "deactivated"
)

// Image is an image record as Glance v2 reports it. Custom (non-schema) properties are in
// Properties; Glance sends them as top-level string keys.
type Image struct {
	ID              string
	Name            string
	Status          string
	DiskFormat      string
	ContainerFormat string
	Visibility      string
	Protected       bool
	Hidden          bool
	MinDisk         int64
	MinRAM          int64
	Size            int64
	VirtualSize     int64
	Checksum        string
	OSHashAlgo      string
	OSHashValue     string
	Owner           string
	Stores          []string
	Tags            []string
	CreatedAt       string
	UpdatedAt       string
	File            string
	Schema          string
	// ImportingToStores and FailedImport mirror os_glance_importing_to_stores and
	// os_glance_failed_import (comma lists), present once an import was attempted.
	ImportingToStores []string
	FailedImport      []string
	// Properties holds every other key the server reports, as strings.
	Properties map[string]string
}

// baseKeys are the keys of /v2/schemas/image that are not custom properties, plus the
// import bookkeeping keys Glance adds.
var baseKeys = map[string]bool{
	"checksum": true, "container_format": true, "created_at": true, "direct_url": true,
	"disk_format": true, "file": true, "id": true, "locations": true, "min_disk": true,
	"min_ram": true, "name": true, "os_hash_algo": true, "os_hash_value": true, "os_hidden": true,
	"owner": true, "protected": true, "schema": true, "self": true, "size": true, "status": true,
	"stores": true, "tags": true, "updated_at": true, "virtual_size": true, "visibility": true,
	"os_glance_importing_to_stores": true, "os_glance_failed_import": true,
}

// IsBaseKey reports whether key is a schema attribute rather than a custom property.
func IsBaseKey(key string) bool { return baseKeys[key] }

// UnmarshalJSON decodes Glance's flat image document.
func (img *Image) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	str := func(k string) string {
		v, ok := raw[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	num := func(k string) int64 {
		v, ok := raw[k]
		if !ok {
			return 0
		}
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			i, _ := n.Int64()
			return i
		}
		return 0
	}
	boolean := func(k string) bool {
		var b flexBool
		if v, ok := raw[k]; ok {
			_ = json.Unmarshal(v, &b)
		}
		return bool(b)
	}
	*img = Image{
		ID: str("id"), Name: str("name"), Status: str("status"),
		DiskFormat: str("disk_format"), ContainerFormat: str("container_format"),
		Visibility: str("visibility"), Protected: boolean("protected"), Hidden: boolean("os_hidden"),
		MinDisk: num("min_disk"), MinRAM: num("min_ram"), Size: num("size"), VirtualSize: num("virtual_size"),
		Checksum: str("checksum"), OSHashAlgo: str("os_hash_algo"), OSHashValue: str("os_hash_value"),
		Owner: str("owner"), Stores: splitList(str("stores")),
		CreatedAt: str("created_at"), UpdatedAt: str("updated_at"), File: str("file"), Schema: str("schema"),
		ImportingToStores: splitList(str("os_glance_importing_to_stores")),
		FailedImport:      splitList(str("os_glance_failed_import")),
		Properties:        map[string]string{},
	}
	if v, ok := raw["tags"]; ok {
		_ = json.Unmarshal(v, &img.Tags)
	}
	sort.Strings(img.Tags)
	for k, v := range raw {
		if baseKeys[k] {
			continue
		}
		img.Properties[k] = rawString(v)
	}
	return nil
}

// splitList splits Glance's comma-separated store lists, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// CreateImageRequest is the body of POST /v2/images. Properties become top-level keys.
type CreateImageRequest struct {
	ID              string
	Name            string
	DiskFormat      string
	ContainerFormat string
	Visibility      string
	Protected       bool
	Hidden          bool
	MinDisk         int64
	MinRAM          int64
	Tags            []string
	Properties      map[string]string
}

func (r CreateImageRequest) body() map[string]any {
	b := map[string]any{}
	for k, v := range r.Properties {
		b[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	set("id", r.ID)
	set("name", r.Name)
	set("disk_format", r.DiskFormat)
	set("container_format", r.ContainerFormat)
	set("visibility", r.Visibility)
	b["protected"] = r.Protected
	b["os_hidden"] = r.Hidden
	b["min_disk"] = r.MinDisk
	b["min_ram"] = r.MinRAM
	if r.Tags != nil {
		b["tags"] = r.Tags
	}
	return b
}

// CreateImage creates an image record (POST /v2/images).
//
// When req.ID is set the call is made idempotent: a lost answer is retried, and a 409 on a
// retry means the first attempt created the image, which is then read back. This is why
// callers should choose the id themselves (the provider always does): an image created by a
// request whose answer never arrived could otherwise not be found, and would be orphaned.
func (c *Client) CreateImage(ctx context.Context, req CreateImageRequest) (*Image, error) {
	var img Image
	attempts := 0
	err := c.doJSON(ctx, call{method: http.MethodPost, path: "/v2/images", body: req.body(), idempotent: req.ID != "", out: &img, attempts: &attempts})
	if err != nil {
		if req.ID != "" && attempts > 1 && IsConflict(err) {
			if existing, getErr := c.GetImage(ctx, req.ID); getErr == nil && existing.Name == req.Name && existing.Status == StatusQueued {
				return existing, nil
			}
		}
		return nil, err
	}
	return &img, nil
}

// GetImage reads one image (GET /v2/images/{id}).
func (c *Client) GetImage(ctx context.Context, id string) (*Image, error) {
	var img Image
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/images/" + escape(id), idempotent: true, out: &img}); err != nil {
		return nil, err
	}
	c.noteImage(&img)
	return &img, nil
}

// PatchOp is one JSON-patch operation of PATCH /v2/images/{id}.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// PatchPath turns a property name into a JSON pointer ("/" and "~" escaped).
func PatchPath(name string) string {
	return "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// UpdateImage applies JSON-patch operations (PATCH with the v2.1 json-patch media type).
// Replaying the same operations is harmless, so the call is retried like a read.
func (c *Client) UpdateImage(ctx context.Context, id string, ops []PatchOp) (*Image, error) {
	if ops == nil {
		ops = []PatchOp{}
	}
	var img Image
	err := c.doJSON(ctx, call{
		method: http.MethodPatch, path: "/v2/images/" + escape(id), body: ops,
		contentType: "application/openstack-images-v2.1-json-patch", idempotent: true, out: &img,
	})
	if err != nil {
		return nil, err
	}
	return &img, nil
}

// DeleteImage deletes an image (DELETE /v2/images/{id}). A missing image is not an error.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: "/v2/images/" + escape(id), idempotent: true})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// AddTag adds one tag (PUT /v2/images/{id}/tags/{tag}); idempotent in Glance.
func (c *Client) AddTag(ctx context.Context, id, tag string) error {
	err := c.doJSON(ctx, call{method: http.MethodPut, path: "/v2/images/" + escape(id) + "/tags/" + escape(tag), idempotent: true})
	return err
}

// DeleteTag removes one tag; a tag that is already gone is not an error.
func (c *Client) DeleteTag(ctx context.Context, id, tag string) error {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: "/v2/images/" + escape(id) + "/tags/" + escape(tag), idempotent: true})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// Deactivate makes an active image's data unavailable to non-admins.
func (c *Client) Deactivate(ctx context.Context, id string) error {
	err := c.doJSON(ctx, call{method: http.MethodPost, path: "/v2/images/" + escape(id) + "/actions/deactivate", idempotent: true})
	return err
}

// Reactivate makes a deactivated image active again.
func (c *Client) Reactivate(ctx context.Context, id string) error {
	err := c.doJSON(ctx, call{method: http.MethodPost, path: "/v2/images/" + escape(id) + "/actions/reactivate", idempotent: true})
	return err
}

// ListImagesOptions filters GET /v2/images. Properties become extra query keys; every
// filter is ANDed, as Glance does.
type ListImagesOptions struct {
	Name         string
	Tags         []string
	Visibility   string
	Owner        string
	Status       string
	MemberStatus string
	SizeMin      *int64
	SizeMax      *int64
	Hidden       *bool
	// CreatedAt and UpdatedAt are time comparison filters, "<op>:<ISO 8601 time>" with op one
	// of gt, gte, eq, neq, lt, lte.
	CreatedAt  string
	UpdatedAt  string
	Properties map[string]string
	// Sort is Glance's "sort" parameter, e.g. "name:asc,created_at:desc".
	Sort string
	// PageSize is the "limit" of each page; 0 lets Glance choose.
	PageSize int
	// Limit stops after this many images; 0 means every page.
	Limit int
}

func (o ListImagesOptions) query() url.Values {
	q := url.Values{}
	for k, v := range o.Properties {
		q.Set(k, v)
	}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	for _, t := range o.Tags {
		q.Add("tag", t)
	}
	if o.Visibility != "" {
		q.Set("visibility", o.Visibility)
	}
	if o.Owner != "" {
		q.Set("owner", o.Owner)
	}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.MemberStatus != "" {
		q.Set("member_status", o.MemberStatus)
	}
	if o.SizeMin != nil {
		q.Set("size_min", strconv.FormatInt(*o.SizeMin, 10))
	}
	if o.SizeMax != nil {
		q.Set("size_max", strconv.FormatInt(*o.SizeMax, 10))
	}
	if o.Hidden != nil {
		q.Set("os_hidden", strconv.FormatBool(*o.Hidden))
	}
	if o.CreatedAt != "" {
		q.Set("created_at", o.CreatedAt)
	}
	if o.UpdatedAt != "" {
		q.Set("updated_at", o.UpdatedAt)
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	if o.PageSize > 0 {
		q.Set("limit", strconv.Itoa(o.PageSize))
	}
	return q
}

// ListImages returns every image that matches, following "next" across pages. Only the
// marker is taken from "next": its path lacks any prefix the endpoint has (PCD's /glance).
func (c *Client) ListImages(ctx context.Context, opts ListImagesOptions) ([]Image, error) {
	q := opts.query()
	var all []Image
	for {
		var page struct {
			Images []Image `json:"images"`
			Next   string  `json:"next"`
		}
		if err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/images", query: q, idempotent: true, out: &page}); err != nil {
			return nil, err
		}
		for i := range page.Images {
			c.noteImage(&page.Images[i])
		}
		all = append(all, page.Images...)
		if opts.Limit > 0 && len(all) >= opts.Limit {
			return all[:opts.Limit], nil
		}
		if page.Next == "" || len(page.Images) == 0 {
			return all, nil
		}
		next, err := url.Parse(page.Next)
		if err != nil {
			return nil, fmt.Errorf("parsing next link %q: %w", page.Next, err)
		}
		marker := next.Query().Get("marker")
		if marker == "" {
			return all, nil
		}
		q.Set("marker", marker)
	}
}
