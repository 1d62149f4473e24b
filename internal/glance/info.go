package glance

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// ImportMethods lists the interoperable import methods the cloud offers (GET /v2/info/import).
func (c *Client) ImportMethods(ctx context.Context) ([]string, error) {
	var out struct {
		ImportMethods struct {
			Value []string `json:"value"`
		} `json:"import-methods"`
	}
	err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/info/import", idempotent: true, out: &out})
	if err != nil {
		return nil, err
	}
	return out.ImportMethods.Value, nil
}

// Store is one backend of a multi-store Glance. Type, Weight and Properties are only filled
// by StoresDetail (admin only).
type Store struct {
	ID          string
	Description string
	Default     bool
	ReadOnly    bool
	Type        string
	Weight      int64
	Properties  map[string]string
}

// wireStore is the JSON shape; Glance sends "default" and "read-only" as the string "true",
// and store properties of any JSON type.
type wireStore struct {
	ID          string                     `json:"id"`
	Description string                     `json:"description"`
	Default     flexBool                   `json:"default"`
	ReadOnly    flexBool                   `json:"read-only"`
	Type        string                     `json:"type"`
	Weight      json.Number                `json:"weight"`
	Properties  map[string]json.RawMessage `json:"properties"`
}

// flexBool accepts true, "true" and "True".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*b = flexBool(t)
	case string:
		p, _ := strconv.ParseBool(t)
		*b = flexBool(p)
	}
	return nil
}

// Stores lists the stores the caller may use (GET /v2/info/stores). A cloud without
// multi-store answers 404: IsUnsupported(err) is then true.
func (c *Client) Stores(ctx context.Context) ([]Store, error) {
	return c.stores(ctx, "/v2/info/stores")
}

// StoresDetail lists the stores with type, weight and properties (GET /v2/info/stores/detail,
// admin only: a member gets IsForbidden(err)).
func (c *Client) StoresDetail(ctx context.Context) ([]Store, error) {
	return c.stores(ctx, "/v2/info/stores/detail")
}

func (c *Client) stores(ctx context.Context, path string) ([]Store, error) {
	var out struct {
		Stores []wireStore `json:"stores"`
	}
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: path, idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	stores := make([]Store, 0, len(out.Stores))
	for _, w := range out.Stores {
		s := Store{ID: w.ID, Description: w.Description, Default: bool(w.Default), ReadOnly: bool(w.ReadOnly), Type: w.Type}
		if w.Weight != "" {
			if n, err := w.Weight.Int64(); err == nil {
				s.Weight = n
			}
		}
		if len(w.Properties) > 0 {
			s.Properties = make(map[string]string, len(w.Properties))
			for k, raw := range w.Properties {
				s.Properties[k] = rawString(raw)
			}
		}
		stores = append(stores, s)
	}
	return stores, nil
}

// rawString renders a JSON value as a string: strings unquoted, everything else as JSON.
func rawString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// Quota is one resource of /v2/info/usage. Sizes are in MiB, as Glance reports them.
type Quota struct {
	Limit int64 `json:"limit"`
	Usage int64 `json:"usage"`
}

// Usage maps a quota resource name (image_size_total, image_count_total, image_stage_total,
// image_count_uploading) to its limit and usage. It is empty when the cloud does not enforce
// unified limits.
type Usage map[string]Quota

// Usage reads the caller's quota usage (GET /v2/info/usage).
func (c *Client) Usage(ctx context.Context) (Usage, error) {
	var out struct {
		Usage map[string]Quota `json:"usage"`
	}
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/info/usage", idempotent: true, out: &out}); err != nil {
		return nil, fmt.Errorf("reading quota usage: %w", err)
	}
	if out.Usage == nil {
		return Usage{}, nil
	}
	return out.Usage, nil
}

// cloudInfo memoises what a cloud offers for the life of one Client (one Terraform command),
// so that a plan of many images or imports asks once. Errors are not kept, except that a cloud
// has no multiple stores. Quota usage changes with every upload: its memoised copy is only for
// plan-time estimates (CachedUsage); the glance_usage data source reads it fresh.
type cloudInfo struct {
	mu          sync.Mutex
	methods     []string
	haveMethods bool
	stores      []Store
	storesErr   error // an IsUnsupported error: the cloud has no multiple stores
	haveStores  bool
	usage       Usage
	haveUsage   bool
}

// CachedImportMethods is ImportMethods, asked once per Client.
func (c *Client) CachedImportMethods(ctx context.Context) ([]string, error) {
	c.info.mu.Lock()
	defer c.info.mu.Unlock()
	if !c.info.haveMethods {
		m, err := c.ImportMethods(ctx)
		if err != nil {
			return nil, err
		}
		c.info.methods, c.info.haveMethods = m, true
	}
	return slices.Clone(c.info.methods), nil
}

// CachedStores is Stores, asked once per Client; the answer that the cloud has no multiple
// stores (IsUnsupported) is kept too.
func (c *Client) CachedStores(ctx context.Context) ([]Store, error) {
	c.info.mu.Lock()
	defer c.info.mu.Unlock()
	if !c.info.haveStores {
		s, err := c.Stores(ctx)
		if err != nil && !IsUnsupported(err) {
			return nil, err
		}
		c.info.stores, c.info.storesErr, c.info.haveStores = s, err, true
	}
	return slices.Clone(c.info.stores), c.info.storesErr
}

// CachedUsage is Usage, asked once per Client: a snapshot for plan-time checks of many images
// (Glance with unified limits takes a second or more to compute it).
func (c *Client) CachedUsage(ctx context.Context) (Usage, error) {
	c.info.mu.Lock()
	defer c.info.mu.Unlock()
	if !c.info.haveUsage {
		u, err := c.Usage(ctx)
		if err != nil {
			return nil, err
		}
		c.info.usage, c.info.haveUsage = u, true
	}
	return maps.Clone(c.info.usage), nil
}
