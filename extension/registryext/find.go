// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadata"
)

// Provider is implemented by the tasker_registry extension (and by anything that wants
// to stand in for it, e.g. in tests).
type Provider interface {
	Registry() *Registry
}

// Find returns the registry a component should use, from the component's Start:
//   - id set (the component's `registry: tasker_registry/x` option): that extension; an
//     error if it is not among the host's extensions (not configured, or not listed in
//     service::extensions) or is not a tasker_registry;
//   - id nil: the only tasker_registry extension of the host; nil and no error when there
//     is none (the component works without a registry; every call on a nil *Registry's
//     handles is a no-op); an error when there are several.
func Find(host component.Host, id *component.ID) (*Registry, error) {
	if host == nil {
		if id != nil {
			return nil, fmt.Errorf("registry %q: no host to look it up in", id.String())
		}
		return nil, nil
	}
	exts := host.GetExtensions()
	if id != nil {
		ext, ok := exts[*id]
		if !ok {
			return nil, fmt.Errorf("registry %q: no such extension is running; configure it under extensions and list it in service::extensions", id.String())
		}
		p, ok := ext.(Provider)
		if !ok || p.Registry() == nil {
			return nil, fmt.Errorf("registry %q: extension is a %T, not a %s extension", id.String(), ext, metadata.Type)
		}
		return p.Registry(), nil
	}
	var found []component.ID
	var reg *Registry
	for eid, ext := range exts {
		if p, ok := ext.(Provider); ok && p.Registry() != nil {
			found = append(found, eid)
			reg = p.Registry()
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return reg, nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.String()
	}
	sort.Strings(names)
	return nil, fmt.Errorf("several %s extensions are running (%s): choose one with the component's registry option", metadata.Type, strings.Join(names, ", "))
}
