// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package archtest checks the distribution's dependency rules with `go list -deps`:
// components reach tasker_registry only through pkg/taskerregistry, the extension
// imports no component, the API package depends on nothing of ours, and the codecs
// (internal/codec/...) and the file exporters' shared package (internal/fileexport/...)
// import no component.
package archtest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/tasker-systems/otelcol-tasker/"

// deps lists the non-test dependencies of the packages (go list -deps), by package.
func deps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	touchSources(t, root)
	out := map[string][]string{}
	args := append([]string{"list", "-e", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		out[f[0]] = f[1:]
	}
	require.NotEmpty(t, out)
	return out
}

// touchSources reads every Go file of the module, so that go test's cache, which tracks
// the files a test opens but not what go list reads, reruns the test when one changes.
func touchSources(t *testing.T, root string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "_build", "bin", ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") || d.Name() == "go.mod" {
			_, err = os.ReadFile(path)
		}
		return err
	}))
}

func ours(path string) bool { return strings.HasPrefix(path, module) }

func TestComponentsDoNotImportTheRegistryExtension(t *testing.T) {
	pkgs := deps(t, "./exporter/...", "./processor/...", "./receiver/...", "./connector/...")
	var checked int
	for pkg, ds := range pkgs {
		checked++
		for _, d := range ds {
			if strings.HasPrefix(d, module+"extension/") {
				t.Errorf("%s imports %s: components use pkg/taskerregistry, never the extension", pkg, d)
			}
		}
	}
	require.Greater(t, checked, 5)
	// The contract is what the registry users do import.
	for _, c := range []string{"exporter/csvexporter", "exporter/jsonexporter", "processor/cacheprocessor"} {
		require.Contains(t, pkgs[module+c], module+"pkg/taskerregistry", c)
	}
}

func TestExtensionImportsNoComponent(t *testing.T) {
	for pkg, ds := range deps(t, "./extension/...") {
		for _, d := range ds {
			for _, dir := range []string{"exporter/", "processor/", "receiver/", "connector/"} {
				if strings.HasPrefix(d, module+dir) {
					t.Errorf("%s imports the component %s", pkg, d)
				}
			}
		}
	}
}

func TestAPIPackageDependsOnNothingOfOurs(t *testing.T) {
	for pkg, ds := range deps(t, "./pkg/...") {
		for _, d := range ds {
			if ours(d) && !strings.HasPrefix(d, module+"pkg/") {
				t.Errorf("%s imports %s: the API package must stay importable by anyone", pkg, d)
			}
		}
	}
}

// TestCodecsImportNoComponent: the codec packages (internal/codec/...) are shared by the
// exporters and tasker_registry, so they take plain options and import no component.
// The exporters encode with the shared codecs, not copies of them.
func TestCodecsImportNoComponent(t *testing.T) {
	checkShared(t, "./internal/codec/...", "codecs take plain options", map[string]string{
		"exporter/jsonexporter": "internal/codec/ndjson",
		"exporter/csvexporter":  "internal/codec/csv",
	})
}

// TestFileExportImportsNoComponent: internal/fileexport (the file exporters' shared
// lifecycle, configuration and factory wiring) and its test helpers
// (internal/fileexport/fileexporttest) import no component; both file exporters are
// built on it rather than on copies of it.
func TestFileExportImportsNoComponent(t *testing.T) {
	checkShared(t, "./internal/fileexport/...", "the exporters pass in what is theirs", map[string]string{
		"exporter/jsonexporter": "internal/fileexport",
		"exporter/csvexporter":  "internal/fileexport",
	})
	require.Contains(t, deps(t, "./internal/fileexport/..."), module+"internal/fileexport/fileexporttest")
}

// checkShared checks the shared packages of pattern: every exporter of users (exporter
// → shared package) imports its shared package, and none of pattern depends on a
// component.
func checkShared(t *testing.T, pattern, why string, users map[string]string) {
	t.Helper()
	pkgs := deps(t, pattern)
	all := deps(t, "./exporter/...")
	for user, shared := range users {
		require.Contains(t, pkgs, module+shared)
		require.Contains(t, all[module+user], module+shared, user)
	}
	importNoComponent(t, pkgs, why)
}

// importNoComponent fails for every package of pkgs that depends on a component
// (exporter, processor, receiver, extension, connector), saying why it must not.
func importNoComponent(t *testing.T, pkgs map[string][]string, why string) {
	t.Helper()
	for pkg, ds := range pkgs {
		for _, d := range ds {
			for _, dir := range []string{"exporter/", "processor/", "receiver/", "extension/", "connector/"} {
				if strings.HasPrefix(d, module+dir) {
					t.Errorf("%s imports the component %s: %s", pkg, d, why)
				}
			}
		}
	}
}
