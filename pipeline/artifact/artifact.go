// Package artifact encodes the values that pipeline steps exchange: n-dimensional
// arrays as NumPy .npy files, tables as CSV and named scalars as JSON.
//
// Every encoder is deterministic: the same value always gives the same bytes, so
// content digests of outputs are stable across runs, machines and worker counts.
package artifact

import "fmt"

// FormatVersion is the version of the encodings in this package. It enters every
// action key, so changing an encoding invalidates every cached step.
const FormatVersion = 1

// Kind names the encoding of an output; it is also the file extension used on export.
type Kind string

// The kinds of outputs.
const (
	KindArray   Kind = "npy"
	KindTable   Kind = "csv"
	KindScalars Kind = "json"
	KindSVG     Kind = "svg"
	KindPNG     Kind = "png"
	// KindModel is a trained network; its encoding belongs to the package
	// that trains it (a header with shapes and hyperparameters, then weights).
	KindModel Kind = "model"
)

// Ext returns the file extension (with the dot) for outputs of kind k.
func (k Kind) Ext() string { return "." + string(k) }

// Error is returned when bytes do not decode as the expected kind.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("artifact: bad %s: %s", e.Kind, e.Msg) }
