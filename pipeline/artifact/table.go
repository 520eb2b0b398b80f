package artifact

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
)

// Column is a named column of numbers.
type Column struct {
	Name   string
	Values []float64
}

// Table is a set of equally long numeric columns, encoded as CSV with a header row.
type Table struct {
	Columns []Column
}

// Col returns the column with the given name.
func (t *Table) Col(name string) ([]float64, error) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c.Values, nil
		}
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return nil, fmt.Errorf("table has no column %q (columns: %v)", name, names)
}

// Rows returns the number of rows.
func (t *Table) Rows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return len(t.Columns[0].Values)
}

// EncodeCSV returns the table as CSV. Numbers use the shortest representation
// that round-trips; NaN is written as "nan".
func EncodeCSV(t *Table) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	n := t.Rows()
	rec := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		if len(c.Values) != n {
			return nil, fmt.Errorf("artifact: column %q has %d rows, want %d", c.Name, len(c.Values), n)
		}
		rec[i] = c.Name
	}
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	for r := 0; r < n; r++ {
		for i, c := range t.Columns {
			rec[i] = formatFloat(c.Values[r])
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func formatFloat(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// DecodeCSV parses a table written by EncodeCSV.
func DecodeCSV(data []byte) (*Table, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, &Error{Kind: KindTable, Msg: err.Error()}
	}
	if len(recs) == 0 {
		return nil, &Error{Kind: KindTable, Msg: "no header row"}
	}
	t := &Table{Columns: make([]Column, len(recs[0]))}
	for i, name := range recs[0] {
		t.Columns[i] = Column{Name: name, Values: make([]float64, len(recs)-1)}
	}
	for r, rec := range recs[1:] {
		for i, f := range rec {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, &Error{Kind: KindTable, Msg: fmt.Sprintf("row %d column %q: %v", r+2, recs[0][i], err)}
			}
			t.Columns[i].Values[r] = v
		}
	}
	return t, nil
}

// NewTable returns a table of the named columns; names and cols pair up.
func NewTable(names []string, cols [][]float64) *Table {
	t := &Table{Columns: make([]Column, len(names))}
	for j, name := range names {
		t.Columns[j] = Column{Name: name, Values: cols[j]}
	}
	return t
}
