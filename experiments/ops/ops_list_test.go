package ops

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every op is listed by the file that declares it, in its ...Ops function,
// and All gathers every file's list: a function of the package that returns
// a pipeline.Op and is not listed is an op no spec can use.
func TestAllListsEveryOp(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]string{} // op function → file
	listed := map[string]string{}   // op function → file of the list naming it
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
			if !ok || fn.Recv != nil || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 || len(fn.Type.Params.List) != 0 {
				continue
			}
			switch res := fn.Type.Results.List[0].Type.(type) {
			case *ast.SelectorExpr: // func x() pipeline.Op
				if res.Sel.Name == "Op" {
					declared[fn.Name.Name] = f
				}
			case *ast.ArrayType: // func xOps() []pipeline.Op
				if strings.HasSuffix(fn.Name.Name, "Ops") {
					ast.Inspect(fn.Body, func(n ast.Node) bool {
						if call, ok := n.(*ast.CallExpr); ok {
							if id, ok := call.Fun.(*ast.Ident); ok {
								listed[id.Name] = f
							}
						}
						return true
					})
				}
			}
		}
	}
	if len(declared) < 30 {
		t.Fatalf("found %d op declarations; the scan is broken", len(declared))
	}
	for name, file := range declared {
		switch lf, ok := listed[name]; {
		case !ok:
			t.Errorf("%s (%s) declares an op that no ...Ops list names", name, file)
		case lf != file:
			t.Errorf("%s is declared in %s but listed in %s", name, file, lf)
		}
	}
	if len(All()) != len(declared) {
		t.Errorf("All returns %d ops, the package declares %d (a file's ...Ops list is not in All?)", len(All()), len(declared))
	}
}
