package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// metaFrom unpacks the providerMeta that Configure handed to a resource or data source.
// It returns nil (and no error) before the provider is configured, as the framework asks.
func metaFrom(data any, diags *diag.Diagnostics) *providerMeta {
	if data == nil {
		return nil
	}
	m, ok := data.(*providerMeta)
	if !ok {
		diags.AddError("Unexpected Provider Data", fmt.Sprintf("Expected *providerMeta, got %T. Please report this issue to the provider developers.", data))
		return nil
	}
	return m
}

// ready reports whether the API can be called; when the provider configuration is not known
// yet, it says so in diags.
func (m *providerMeta) ready(diags *diag.Diagnostics) bool {
	if m == nil {
		diags.AddError("Provider Not Configured", "The glance provider was not configured. Please report this issue to the provider developers.")
		return false
	}
	if m.configUnknown || m.client == nil {
		diags.AddError("Provider Configuration Unknown",
			"The glance provider's configuration depends on values that are known only after apply, so it cannot read from the "+
				"Image service yet. Apply the resources it depends on first (terraform apply -target=...), or configure the provider with known values.")
		return false
	}
	return true
}

// canCall reports, without a diagnostic, whether the API can be called: plan-time checks
// against the cloud are skipped (not failed) while the provider configuration is unknown.
func (m *providerMeta) canCall() bool {
	return m != nil && !m.configUnknown && m.client != nil
}
