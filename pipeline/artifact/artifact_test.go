package artifact

import (
	"bytes"
	"math"
	"os"
	"reflect"
	"testing"
)

func TestNPYMatchesNumpy(t *testing.T) {
	tests := []struct {
		file string
		want *Array
	}{
		{"int8_2x2.npy", NewInt8([]int8{1, -2, 3, 4}, 2, 2)},
		{"float32_1.npy", NewFloat32([]float32{1.5}, 1)},
		{"float64_empty.npy", NewFloat64([]float64{}, 0)},
		{"int64_2.npy", &Array{DType: Int64, Shape: []int{2}, I64: []int64{7, -1}}},
		{"float64_2x3.npy", NewFloat64([]float64{0, 0.25, 0.5, 0.75, 1, 1.25}, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeNPY(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
			if enc := EncodeNPY(tt.want); !bytes.Equal(enc, data) {
				t.Errorf("encoding differs from numpy.save:\n got %q\nwant %q", enc, data)
			}
		})
	}
}

func TestNPYRejectsBadInput(t *testing.T) {
	good := EncodeNPY(NewFloat64([]float64{1, 2}, 2))
	tests := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XNUMPY"), good[6:]...),
		"truncated": good[:len(good)-3],
		"fortran":   bytes.Replace(good, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1),
		"dtype":     bytes.Replace(good, []byte("<f8"), []byte("<c8"), 1),
	}
	for name, data := range tests {
		if _, err := DecodeNPY(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFloat64s(t *testing.T) {
	a := NewInt8([]int8{-1, 1}, 2)
	if got := a.Float64s(); !reflect.DeepEqual(got, []float64{-1, 1}) {
		t.Fatalf("Float64s = %v", got)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	tab := &Table{Columns: []Column{
		{Name: "r", Values: []float64{0, 1.4142135623730951, 1e-300}},
		{Name: "g", Values: []float64{1, -0.1, math.NaN()}},
	}}
	data, err := EncodeCSV(tab)
	if err != nil {
		t.Fatal(err)
	}
	want := "r,g\n0,1\n1.4142135623730951,-0.1\n1e-300,nan\n"
	if string(data) != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", data, want)
	}
	back, err := DecodeCSV(data)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := back.Col("r")
	g, _ := back.Col("g")
	if r[1] != 1.4142135623730951 || !math.IsNaN(g[2]) {
		t.Fatalf("round trip lost precision: %v %v", r, g)
	}
	if _, err := back.Col("x"); err == nil {
		t.Fatal("missing column: no error")
	}
	if _, err := EncodeCSV(&Table{Columns: []Column{{Name: "a", Values: []float64{1}}, {Name: "b"}}}); err == nil {
		t.Fatal("ragged table: no error")
	}
}

func TestScalarsJSON(t *testing.T) {
	s := Scalars{"b": {Value: 2, Err: 0.5, Note: "x >= y"}, "a": {Value: -1}}
	data, err := EncodeJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": {\n    \"value\": -1\n  },\n  \"b\": {\n    \"value\": 2,\n    \"error\": 0.5,\n    \"note\": \"x >= y\"\n  }\n}\n"
	if string(data) != want {
		t.Fatalf("json:\n%s\nwant:\n%s", data, want)
	}
	back, err := DecodeJSON(data)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if _, err := EncodeJSON(Scalars{"x": {Value: math.Inf(1)}}); err == nil {
		t.Fatal("infinite scalar: no error")
	}
}
