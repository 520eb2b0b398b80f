package ops

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// All lists every op this package declares: a function of the package that
// returns a pipeline.Op and is not in All is an op no spec can use.
func TestAllListsEveryOp(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]string{} // function → file
	var listed []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
				continue
			}
			if sel, ok := fn.Type.Results.List[0].Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Op" && len(fn.Type.Params.List) == 0 {
				declared[fn.Name.Name] = f
			}
			if fn.Name.Name == "All" {
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					if call, ok := n.(*ast.CallExpr); ok {
						if id, ok := call.Fun.(*ast.Ident); ok {
							listed = append(listed, id.Name)
						}
					}
					return true
				})
			}
		}
	}
	if len(declared) < 30 {
		t.Fatalf("found %d op declarations; the scan is broken", len(declared))
	}
	inAll := map[string]bool{}
	for _, name := range listed {
		inAll[name] = true
	}
	for name, file := range declared {
		if !inAll[name] {
			t.Errorf("%s (%s) declares an op that All does not list", name, file)
		}
	}
	if len(All()) != len(declared) {
		t.Errorf("All returns %d ops, the package declares %d", len(All()), len(declared))
	}
}
