package plugin

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/kaniko-ecr/kaniko-ecr"

// allowedImports is the map of the house: which of our packages each one
// may import. The stages follow the flow of a run (settings, awsecr,
// builder, push, outputs) and import only what lies before them; the run
// (plugin) orders them; main wires kaniko in. A package missing here may
// import none of ours.
var allowedImports = map[string][]string{
	"":                                {"plugin", "plugin/builder", "plugin/settings/help", "plugin/steps"},
	"plugin":                          {"plugin/attest", "plugin/awsecr", "plugin/awsecr/kmssign", "plugin/dockerfile", "plugin/index", "plugin/mirrors", "plugin/outputs", "plugin/push", "plugin/redact", "plugin/settings", "plugin/settings/help"},
	"plugin/mirrors":                  {"docker", "plugin/settings"},
	"plugin/settings/help":            {"plugin/settings"},
	"plugin/settings":                 {"docker", "plugin/dockerfile", "plugin/dockerfile/named", "plugin/redact", "plugin/settings/awsinput", "plugin/settings/buildinput", "plugin/settings/contextinput", "plugin/settings/kanikoinput", "plugin/settings/provenanceinput", "plugin/settings/semver", "plugin/settings/taginput", "plugin/settings/values"},
	"plugin/settings/awsinput":        {},
	"plugin/settings/contextinput":    {"plugin/dockerfile/named", "plugin/settings/buildinput"},
	"plugin/settings/buildinput":      {"plugin/redact", "plugin/steps/pick"},
	"plugin/settings/kanikoinput":     {"docker"},
	"plugin/settings/provenanceinput": {},
	"plugin/settings/semver":          {},
	"plugin/settings/taginput":        {"plugin/settings/semver"},
	"plugin/settings/values":          {},
	"plugin/dockerfile":               {"plugin/dockerfile/checks", "plugin/dockerfile/copyflags", "plugin/dockerfile/edits", "plugin/dockerfile/health", "plugin/dockerfile/model", "plugin/dockerfile/mounts", "plugin/dockerfile/named", "plugin/dockerfile/platform", "plugin/dockerfile/pulls", "plugin/dockerfile/reach", "plugin/dockerfile/sources", "plugin/dockerfile/step", "plugin/dockerfile/syntax", "plugin/dockerfile/words"},
	"plugin/dockerfile/checks":        {},
	"plugin/dockerfile/copyflags":     {"plugin/dockerfile/sources", "plugin/dockerfile/step"},
	"plugin/dockerfile/edits":         {},
	"plugin/dockerfile/model":         {"plugin/dockerfile/copyflags", "plugin/dockerfile/health", "plugin/dockerfile/named", "plugin/dockerfile/step"},
	"plugin/dockerfile/mounts":        {},
	"plugin/dockerfile/named":         {"plugin/dockerfile/edits", "plugin/dockerfile/step"},
	"plugin/dockerfile/platform":      {},
	"plugin/dockerfile/pulls":         {},
	"plugin/dockerfile/reach":         {"plugin/dockerfile/edits"},
	"plugin/dockerfile/step":          {"plugin/dockerfile/mounts", "plugin/dockerfile/sources"},
	"plugin/dockerfile/syntax":        {},
	"plugin/dockerfile/sources":       {},
	"plugin/dockerfile/words":         {},
	"plugin/awsecr":                   {"docker", "plugin/redact", "plugin/settings", "plugin/awsecr/ecrtoken", "plugin/awsecr/policy"},
	"plugin/awsecr/ecrtoken":          {"docker", "plugin/settings"},
	"plugin/awsecr/policy":            {},
	"plugin/builder":                  {"plugin/builder/cachemounts", "plugin/builder/copykey", "plugin/dockerfile", "plugin/dockerfile/health", "plugin/rawconfig", "plugin/settings", "plugin/settings/buildinput", "plugin/steps", "plugin/steps/fetch", "plugin/steps/gitsource"},
	"plugin/builder/cachemounts":      {"plugin/dockerfile"},
	"plugin/builder/copykey":          {},
	"plugin/steps":                    {"plugin/dockerfile", "plugin/dockerfile/mounts", "plugin/redact", "plugin/steps/fetch", "plugin/steps/gitsource", "plugin/steps/listen", "plugin/steps/owner", "plugin/steps/pick", "plugin/steps/rootfs"},
	"plugin/steps/fetch":              {},
	"plugin/steps/listen":             {},
	"plugin/steps/gitsource":          {"plugin/dockerfile/sources", "plugin/redact", "plugin/steps/owner", "plugin/steps/rootfs"},
	"plugin/steps/owner":              {},
	"plugin/steps/pick":               {"plugin/steps/owner", "plugin/steps/rootfs"},
	"plugin/steps/rootfs":             {},
	"plugin/push":                     {"plugin/push/referrer", "plugin/push/spool", "plugin/rawconfig"},
	"plugin/push/referrer":            {},
	"plugin/push/spool":               {},
	"plugin/index":                    {"plugin/push"},
	"plugin/outputs":                  {"plugin/settings"},
	"plugin/redact":                   {},
	"docker":                          {},
}

// goList returns every package of the module with its direct imports.
func goList(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs[f[0]] = f[1:]
	}
	return pkgs
}

func rel(pkg string) string { return strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/") }

// The packages of the run import each other only as allowedImports says:
// settings imports none of ours but pure helpers, the AWS side never
// imports the build, and nothing imports the run but main.
func TestPackagesImportOnlyWhatTheMapAllows(t *testing.T) {
	for pkg, imports := range goList(t) {
		allowed, mapped := allowedImports[rel(pkg)]
		if !mapped {
			continue // tools and tests under scripts/ may use anything
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if !contains(allowed, rel(imp)) {
				t.Errorf("%s imports %s: not in the map of allowed imports (plugin/depcheck_test.go, docs/ARCHITECTURE.md)", rel(pkg), rel(imp))
			}
		}
	}
}

// Only the build (plugin/builder and the sub-packages it is carved into)
// imports kaniko, and only the Dockerfile front end
// imports buildkit's Dockerfile parser; no other stage depends on kaniko
// even indirectly, so each stays safe to run and test anywhere.
func TestOnlyTheBuildImportsKanikoAndOnlyTheFrontEndImportsBuildkit(t *testing.T) {
	const kaniko = "github.com/chainguard-dev/kaniko"
	const buildkit = "github.com/moby/buildkit/frontend/dockerfile"
	for pkg, imports := range goList(t) {
		for _, imp := range imports {
			if strings.HasPrefix(imp, kaniko) && !build(rel(pkg)) {
				t.Errorf("%s imports %s; only plugin/builder and its sub-packages may import kaniko", rel(pkg), imp)
			}
			// The step server expands variables at build time with
			// buildkit's shell lexer, which is not the parser.
			if strings.HasPrefix(imp, buildkit) && imp != buildkit+"/shell" && !frontEnd(rel(pkg)) {
				t.Errorf("%s imports %s; only plugin/dockerfile and its sub-packages may import buildkit's parser", rel(pkg), imp)
			}
		}
	}
	for _, pkg := range []string{"plugin", "plugin/settings", "plugin/attest", "plugin/provenance", "plugin/awsecr", "plugin/awsecr/ecrtoken", "plugin/push", "plugin/push/referrer", "plugin/outputs", "plugin/redact", "plugin/settings/values", "plugin/index", "docker"} {
		deps, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		if strings.Contains(string(deps), kaniko) {
			t.Errorf("%s depends on kaniko", pkg)
		}
	}
}

// build reports whether pkg is the build or one of the sub-packages it is
// carved into.
func build(pkg string) bool {
	return pkg == "plugin/builder" || strings.HasPrefix(pkg, "plugin/builder/")
}

// frontEnd reports whether pkg is the Dockerfile front end or one of the
// sub-packages it is carved into.
func frontEnd(pkg string) bool {
	return pkg == "plugin/dockerfile" || strings.HasPrefix(pkg, "plugin/dockerfile/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Shape limits: a file or a function that outgrows them wants splitting
// by responsibility.
const (
	maxFileLines    = 400
	maxPackageLines = 1500
	maxFuncLines    = 80
)

// The code keeps its shape: no non-test Go file over 400 lines, no package
// over 1,500, no function over 80. Generated files do not count.
func TestNoFileFunctionOrPackageOutgrowsItsLimit(t *testing.T) {
	root := filepath.Join("..")
	perPkg := map[string]int{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if generated(src) {
			return nil
		}
		lines := bytes.Count(src, []byte("\n"))
		perPkg[filepath.Dir(path)] += lines
		if lines > maxFileLines {
			t.Errorf("%s has %d lines (at most %d)", path, lines, maxFileLines)
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				if n > maxFuncLines {
					t.Errorf("%s: func %s has %d lines (at most %d)", path, fn.Name.Name, n, maxFuncLines)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range perPkg {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if perPkg[d] > maxPackageLines {
			t.Errorf("package %s has %d lines (at most %d)", d, perPkg[d], maxPackageLines)
		}
	}
}

// generated reports whether src carries Go's "Code generated ... DO NOT
// EDIT." line before its package clause.
func generated(src []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "package ") {
			return false
		}
		if strings.HasPrefix(line, "// Code generated ") && strings.HasSuffix(line, " DO NOT EDIT.") {
			return true
		}
	}
	return false
}

// Only the build touches "/": kaniko (imported by plugin/builder and its
// sub-packages alone) unpacks into it, and no other package changes
// directory or removes whole trees, which in a container would mean
// kaniko's root; nor does plugin/builder/copykey, which only reads the
// context.
func TestOnlyTheBuildTouchesTheRoot(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range []string{".", "settings", "awsecr", "awsecr/ecrtoken", "push", "index", "outputs", "redact", "builder/copykey", "../docker"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" && (sel.Sel.Name == "Chdir" || sel.Sel.Name == "RemoveAll") {
					t.Errorf("%s: os.%s outside plugin/builder", fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
}
