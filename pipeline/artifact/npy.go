package artifact

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// DType is a NumPy element type descriptor understood by this package.
type DType string

// The element types of arrays.
const (
	Float64 DType = "<f8"
	Float32 DType = "<f4"
	Int8    DType = "|i1"
	Int64   DType = "<i8"
)

func (d DType) size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32:
		return 4
	case Int8:
		return 1
	}
	return 0
}

// Array is a dense, C-ordered n-dimensional array. Exactly one of the data slices
// matching DType is set, with length equal to the product of Shape.
type Array struct {
	DType DType
	Shape []int
	F64   []float64
	F32   []float32
	I8    []int8
	I64   []int64
}

// NewFloat64 returns a float64 array of the given shape backed by data.
// It panics if len(data) does not match the shape.
func NewFloat64(data []float64, shape ...int) *Array {
	mustMatch(len(data), shape)
	return &Array{DType: Float64, Shape: shape, F64: data}
}

// NewFloat32 returns a float32 array of the given shape backed by data.
func NewFloat32(data []float32, shape ...int) *Array {
	mustMatch(len(data), shape)
	return &Array{DType: Float32, Shape: shape, F32: data}
}

// NewInt8 returns an int8 array of the given shape backed by data.
func NewInt8(data []int8, shape ...int) *Array {
	mustMatch(len(data), shape)
	return &Array{DType: Int8, Shape: shape, I8: data}
}

func mustMatch(n int, shape []int) {
	if numel(shape) != n {
		panic(fmt.Sprintf("artifact: %d elements do not fill shape %v", n, shape))
	}
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Len returns the number of elements.
func (a *Array) Len() int { return numel(a.Shape) }

// Float64s returns the elements converted to float64 (a copy unless DType is Float64).
func (a *Array) Float64s() []float64 {
	switch a.DType {
	case Float64:
		return a.F64
	case Float32:
		out := make([]float64, len(a.F32))
		for i, v := range a.F32 {
			out[i] = float64(v)
		}
		return out
	case Int8:
		out := make([]float64, len(a.I8))
		for i, v := range a.I8 {
			out[i] = float64(v)
		}
		return out
	case Int64:
		out := make([]float64, len(a.I64))
		for i, v := range a.I64 {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

const npyMagic = "\x93NUMPY"

// EncodeNPY returns the array as a NumPy .npy (format 1.0) file.
func EncodeNPY(a *Array) []byte {
	shape := make([]string, len(a.Shape))
	for i, s := range a.Shape {
		shape[i] = strconv.Itoa(s)
	}
	st := strings.Join(shape, ", ")
	if len(a.Shape) == 1 {
		st += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", a.DType, st)
	// Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'.
	total := 10 + len(header) + 1
	pad := (64 - total%64) % 64
	header += strings.Repeat(" ", pad) + "\n"

	var b bytes.Buffer
	b.Grow(10 + len(header) + a.Len()*a.DType.size())
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	var hl [2]byte
	binary.LittleEndian.PutUint16(hl[:], uint16(len(header)))
	b.Write(hl[:])
	b.WriteString(header)
	switch a.DType {
	case Float64:
		buf := make([]byte, 8*len(a.F64))
		for i, v := range a.F64 {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		b.Write(buf)
	case Float32:
		buf := make([]byte, 4*len(a.F32))
		for i, v := range a.F32 {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		b.Write(buf)
	case Int8:
		buf := make([]byte, len(a.I8))
		for i, v := range a.I8 {
			buf[i] = byte(v)
		}
		b.Write(buf)
	case Int64:
		buf := make([]byte, 8*len(a.I64))
		for i, v := range a.I64 {
			binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
		}
		b.Write(buf)
	default:
		panic(fmt.Sprintf("artifact: unsupported dtype %q", a.DType))
	}
	return b.Bytes()
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// DecodeNPY parses a NumPy .npy file of format 1.0 or 2.0 holding a C-ordered
// array of one of the supported element types.
func DecodeNPY(data []byte) (*Array, error) {
	bad := func(format string, args ...any) error {
		return &Error{Kind: KindArray, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) < 10 || string(data[:6]) != npyMagic {
		return nil, bad("missing NUMPY magic")
	}
	var hlen, off int
	switch data[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, bad("truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return nil, bad("unsupported version %d", data[6])
	}
	if len(data) < off+hlen {
		return nil, bad("truncated header")
	}
	header := string(data[off : off+hlen])
	body := data[off+hlen:]
	m := npyDescr.FindStringSubmatch(header)
	if m == nil {
		return nil, bad("no descr in header")
	}
	a := &Array{DType: DType(m[1])}
	if a.DType == "<i1" {
		a.DType = Int8
	}
	if a.DType.size() == 0 {
		return nil, bad("unsupported dtype %q", m[1])
	}
	if m := npyOrder.FindStringSubmatch(header); m == nil || m[1] != "False" {
		return nil, bad("only C-ordered arrays are supported")
	}
	m = npyShape.FindStringSubmatch(header)
	if m == nil {
		return nil, bad("no shape in header")
	}
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, bad("bad shape %q", m[1])
		}
		a.Shape = append(a.Shape, n)
	}
	n := a.Len()
	if len(body) != n*a.DType.size() {
		return nil, bad("body has %d bytes, shape %v of %s needs %d", len(body), a.Shape, a.DType, n*a.DType.size())
	}
	switch a.DType {
	case Float64:
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
	case Float32:
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		}
	case Int8:
		a.I8 = make([]int8, n)
		for i := range a.I8 {
			a.I8[i] = int8(body[i])
		}
	case Int64:
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(binary.LittleEndian.Uint64(body[8*i:]))
		}
	}
	return a, nil
}
