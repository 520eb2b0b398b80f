// Package kadanoff holds what belongs to the whole module: its licence, which
// the tool writes into the archives it packs. The tool itself is
// cmd/kadanoff; its packages are listed in the README.
package kadanoff

import _ "embed"

// License is the text of the module's licence (the LICENSE file).
//
//go:embed LICENSE
var License string
