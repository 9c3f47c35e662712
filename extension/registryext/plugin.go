// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"fmt"
	"mime"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// Limits of what a plugin may declare.
const (
	maxNameLen   = 128
	maxFormatLen = 32
)

var validKinds = map[component.Kind]string{
	component.KindReceiver:  "receiver",
	component.KindProcessor: "processor",
	component.KindExporter:  "exporter",
	component.KindExtension: "extension",
	component.KindConnector: "connector",
}

func kindName(k component.Kind) string { return validKinds[k] }

// validatePlugin checks p and returns its normalized copy (name defaulted, version
// defaulted, formats lower-cased, trimmed, de-duplicated and sorted).
func validatePlugin(p taskerregistry.Plugin) (taskerregistry.Plugin, error) {
	var problems []string
	if p.Name == "" && p.ComponentID != (component.ID{}) {
		p.Name = p.ComponentID.String()
	}
	switch {
	case p.Name == "":
		problems = append(problems, "name is empty (set Name or ComponentID)")
	case len(p.Name) > maxNameLen:
		problems = append(problems, fmt.Sprintf("name is longer than %d bytes", maxNameLen))
	case !validName(p.Name):
		problems = append(problems, fmt.Sprintf("name %q may contain only letters, digits and _ . - /, and must start with a letter or digit", p.Name))
	}
	if p.Version == "" {
		p.Version = taskerregistry.DefaultPluginVersion
	} else if strings.ContainsAny(p.Version, "\n\r") {
		problems = append(problems, "version contains a line break")
	}

	declared := len(p.Formats)
	formats := make([]string, 0, len(p.Formats))
	seen := make(map[string]bool, len(p.Formats))
	for _, f := range p.Formats {
		lf := strings.ToLower(strings.TrimSpace(f))
		switch {
		case lf == "":
			problems = append(problems, "a format is empty")
			continue
		case len(lf) > maxFormatLen:
			problems = append(problems, fmt.Sprintf("format %q is longer than %d bytes", f, maxFormatLen))
			continue
		case !validFormat(lf):
			problems = append(problems, fmt.Sprintf("format %q may contain only letters, digits and _ . + -", f))
			continue
		}
		if !seen[lf] {
			seen[lf] = true
			formats = append(formats, lf)
		}
	}
	sort.Strings(formats)
	p.Formats = formats

	enc, isEnc := p.Implementation.(taskerregistry.Encoder)
	_, isObs := p.Implementation.(taskerregistry.Observer)
	if declared == 0 && (isEnc || !isObs) {
		problems = append(problems, "no formats: a plugin that encodes or exports declares at least one (Tasker's supported_formats)")
	}
	if p.Implementation != nil {
		if !isEnc && !isObs {
			problems = append(problems, fmt.Sprintf("implementation %T is neither an Encoder (Encode, MediaType) nor an Observer (OnEvent); use nil for a plugin that only reports its exports", p.Implementation))
		}
		if isEnc {
			for _, f := range formats {
				if msg := checkMediaType(enc, f); msg != "" {
					problems = append(problems, msg)
				}
			}
		}
	}
	for k := range p.Options {
		if k == "" {
			problems = append(problems, "an option has an empty key")
			break
		}
	}
	if len(problems) > 0 {
		return p, &taskerregistry.ValidationError{Plugin: p.Name, Problems: problems}
	}
	if p.Options != nil {
		opts := make(map[string]string, len(p.Options))
		for k, v := range p.Options {
			opts[k] = v
		}
		p.Options = opts
	}
	return p, nil
}

func checkMediaType(enc taskerregistry.Encoder, format string) (problem string) {
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("MediaType(%q) panicked: %v", format, r)
		}
	}()
	mt := enc.MediaType(format)
	if mt.ContentType == "" {
		return fmt.Sprintf("MediaType(%q) has no content type", format)
	}
	if _, _, err := mime.ParseMediaType(mt.ContentType); err != nil {
		return fmt.Sprintf("MediaType(%q) content type %q is invalid: %v", format, mt.ContentType, err)
	}
	if mt.FileExtension != "" && !validExtension(mt.FileExtension) {
		return fmt.Sprintf("MediaType(%q) file extension %q may contain only letters, digits and . _ - and must not start with a dot", format, mt.FileExtension)
	}
	return ""
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case i > 0 && (c == '_' || c == '.' || c == '-' || c == '/'):
		default:
			return false
		}
	}
	return true
}

func validFormat(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func validExtension(s string) bool {
	if len(s) > maxFormatLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
