// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package confguard checks a component's raw configuration before it is decoded, for
// the mistakes the decoder lets through, and gives the lower bounds of durations one
// wording.
//
// The collector's decoder reads a duration written without a unit (`interval: 30`) as
// that many nanoseconds: a bare number is an integer, and time.Duration is an integer
// type. Unmarshal refuses it, for every time.Duration field of the Config (nested
// sections, squashed structs, configoptional.Optional, pointers, slices and maps of
// structs included), before decoding:
//
//	func (c *Config) Unmarshal(conf *confmap.Conf) error { return confguard.Unmarshal(conf, c) }
package confguard

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"
)

var durationType = reflect.TypeFor[time.Duration]()

// Unmarshal checks conf against cfg's type (a pointer to a struct), then decodes conf
// into cfg as confmap would.
func Unmarshal(conf *confmap.Conf, cfg any) error {
	if err := CheckDurations(conf, cfg); err != nil {
		return err
	}
	return conf.Unmarshal(cfg)
}

// CheckDurations reports every duration of conf written as a bare non-zero number,
// naming its key path and the fix. Zero needs no unit and is accepted.
func CheckDurations(conf *confmap.Conf, cfg any) error {
	var errs []error
	walk(reflect.TypeOf(cfg), conf.ToStringMap(), "", &errs)
	return errors.Join(errs...)
}

// walk matches the raw value v against the type t; path is the key path of v.
func walk(t reflect.Type, v any, path string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return
	}
	if t == durationType {
		if n, ok := bareNumber(v); ok {
			*errs = append(*errs, fmt.Errorf("%s: %s has no unit; a duration needs one, e.g. \"%ss\" or \"%sms\" (a bare number would be read as %s nanoseconds)", path, n, n, n, n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if inner, ok := optionalValue(t); ok {
			walk(inner, m, path, errs)
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, squash := tagName(f)
			switch {
			case squash:
				walk(f.Type, m, path, errs)
			case name != "" && f.IsExported():
				if sub, ok := m[name]; ok {
					walk(f.Type, sub, join(path, name), errs)
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if items, ok := v.([]any); ok {
			for i, it := range items {
				walk(t.Elem(), it, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(t.Elem(), m[k], join(path, k), errs)
			}
		}
	}
}

// optionalValue is the T of a configoptional.Optional[T], whose map is T's.
func optionalValue(t reflect.Type) (reflect.Type, bool) {
	if !strings.HasSuffix(t.PkgPath(), "config/configoptional") || !strings.HasPrefix(t.Name(), "Optional[") {
		return nil, false
	}
	f, ok := t.FieldByName("value")
	if !ok {
		return nil, false
	}
	return f.Type, true
}

// tagName is the mapstructure key of f, and whether it is squashed. Untagged fields
// use their name, as mapstructure does.
func tagName(f reflect.StructField) (string, bool) {
	tag, ok := f.Tag.Lookup("mapstructure")
	if !ok {
		return f.Name, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	for o := range strings.SplitSeq(opts, ",") {
		if o == "squash" {
			return "", true
		}
	}
	return name, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "::" + key
}

// bareNumber reports a non-zero number (not a string), formatted as written.
func bareNumber(v any) (string, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(v), rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprint(v), rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return fmt.Sprint(v), rv.Float() != 0
	}
	return "", false
}

// AtLeast returns an error when a set duration d is below lowest: "name must be at
// least lowest (why), got d". A zero d is left to the caller (it often means "off").
func AtLeast(name string, d, lowest time.Duration, why string) error {
	if d == 0 || d >= lowest {
		return nil
	}
	if why != "" {
		why = " (" + why + ")"
	}
	return fmt.Errorf("%s must be at least %s%s, got %s", name, lowest, why, d)
}
