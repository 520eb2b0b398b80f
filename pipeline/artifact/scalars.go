package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Scalar is a measured number with an optional standard error (0 when unknown).
type Scalar struct {
	Value float64 `json:"value"`
	Err   float64 `json:"error,omitempty"`
	// Note says how the number was obtained, for the report.
	Note string `json:"note,omitempty"`
}

// Scalars is a set of named numbers, the output that spec values refer to.
type Scalars map[string]Scalar

// EncodeJSON returns the scalars as indented JSON with sorted keys.
// Non-finite values are an error: JSON cannot represent them.
func EncodeJSON(s Scalars) ([]byte, error) {
	for k, v := range s {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || math.IsNaN(v.Err) || math.IsInf(v.Err, 0) {
			return nil, fmt.Errorf("artifact: scalar %q is not finite (%v ± %v)", k, v.Value, v.Err)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeJSON parses scalars written by EncodeJSON.
func DecodeJSON(data []byte) (Scalars, error) {
	var s Scalars
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, &Error{Kind: KindScalars, Msg: err.Error()}
	}
	return s, nil
}

// Names returns the scalar names in sorted order.
func (s Scalars) Names() []string {
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
