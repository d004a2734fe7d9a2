package npy

import (
	"fmt"
	"math"
	"strings"
)

// The npy header is a Python dict literal such as
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
//
// followed by space padding and '\n'. It is parsed here by a small strict
// parser of Python literals (strings, ints, True/False/None, tuples, lists,
// dicts); nothing is evaluated.

// pyKind is the type of a parsed Python literal.
type pyKind int

const (
	pyStr pyKind = iota
	pyInt
	pyBool
	pyNone
	pyTuple
	pyList
	pyDict
)

func (k pyKind) String() string {
	return [...]string{"string", "int", "bool", "None", "tuple", "list", "dict"}[k]
}

type pyValue struct {
	kind  pyKind
	str   string
	num   int64 // pyInt; ints beyond int64 are an error
	b     bool
	items []pyValue // tuple, list
	keys  []pyValue // dict
	vals  []pyValue // dict
}

// maxDepth bounds the nesting of literals so a hostile header cannot blow
// the stack.
const maxDepth = 32

type pyParser struct {
	s   string
	pos int
}

func (p *pyParser) errf(format string, args ...any) error {
	return fmt.Errorf("npy: header dict: %s at offset %d", fmt.Sprintf(format, args...), p.pos)
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parseHeaderDict parses the whole header: one dict literal, then only
// whitespace.
func parseHeaderDict(s string) (pyValue, error) {
	p := &pyParser{s: s}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return v, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return v, p.errf("unexpected trailing text %q", clip(p.s[p.pos:]))
	}
	if v.kind != pyDict {
		return v, fmt.Errorf("npy: header is a Python %s, want a dict", v.kind)
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

func (p *pyParser) value(depth int) (pyValue, error) {
	if depth > maxDepth {
		return pyValue{}, p.errf("nesting deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return pyValue{}, p.errf("unexpected end")
	}
	c := p.s[p.pos]
	switch {
	case c == '\'' || c == '"':
		s, err := p.str()
		return pyValue{kind: pyStr, str: s}, err
	case (c == 'u' || c == 'b') && p.pos+1 < len(p.s) && (p.s[p.pos+1] == '\'' || p.s[p.pos+1] == '"'):
		p.pos++ // Python 2 u'' and b'' prefixes: same text for our purposes.
		s, err := p.str()
		return pyValue{kind: pyStr, str: s}, err
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.integer()
	case c == '(':
		items, err := p.seq(')', depth)
		return pyValue{kind: pyTuple, items: items}, err
	case c == '[':
		items, err := p.seq(']', depth)
		return pyValue{kind: pyList, items: items}, err
	case c == '{':
		return p.dict(depth)
	}
	for _, w := range []struct {
		word string
		v    pyValue
	}{{"True", pyValue{kind: pyBool, b: true}}, {"False", pyValue{kind: pyBool}}, {"None", pyValue{kind: pyNone}}} {
		if strings.HasPrefix(p.s[p.pos:], w.word) {
			p.pos += len(w.word)
			return w.v, nil
		}
	}
	return pyValue{}, p.errf("unexpected %q (only literal strings, ints, True/False/None, tuples, lists and dicts are allowed)", clip(p.s[p.pos:]))
}

func (p *pyParser) str() (string, error) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch c {
		case q:
			return b.String(), nil
		case '\n':
			return "", p.errf("newline in string")
		case '\\':
			if p.pos >= len(p.s) {
				return "", p.errf("unterminated string")
			}
			e := p.s[p.pos]
			p.pos++
			switch e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return "", p.errf("unsupported string escape \\%c", e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errf("unterminated string")
}

func (p *pyParser) integer() (pyValue, error) {
	start := p.pos
	neg := false
	if c := p.s[p.pos]; c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
	}
	digits := 0
	var n uint64
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		d := uint64(p.s[p.pos] - '0')
		if n > (math.MaxInt64-d)/10 {
			return pyValue{}, p.errf("integer %q too large", clip(p.s[start:]))
		}
		n = n*10 + d
		p.pos++
		digits++
	}
	if digits == 0 {
		return pyValue{}, p.errf("malformed integer")
	}
	if digits > 1 && p.s[start] == '0' || digits > 1 && (p.s[start] == '-' || p.s[start] == '+') && p.s[start+1] == '0' {
		return pyValue{}, p.errf("integer with leading zero")
	}
	// Python 2 long suffix, written by numpy under Python 2.
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++
	}
	if p.pos < len(p.s) {
		if c := p.s[p.pos]; c == '.' || c == 'e' || c == 'E' || c == 'j' || c == 'x' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return pyValue{}, p.errf("only plain integers are allowed, got %q", clip(p.s[start:]))
		}
	}
	v := int64(n)
	if neg {
		v = -v
	}
	return pyValue{kind: pyInt, num: v}, nil
}

// seq parses a tuple or list after its opening bracket. A single-element
// tuple needs its trailing comma, as in Python: (3) is an int.
func (p *pyParser) seq(end byte, depth int) ([]pyValue, error) {
	p.pos++
	var items []pyValue
	sawComma := false
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errf("unterminated %q", end)
		}
		if p.s[p.pos] == end {
			p.pos++
			if end == ')' && len(items) == 1 && !sawComma {
				return nil, p.errf("parenthesised value without comma is not a tuple")
			}
			return items, nil
		}
		if len(items) > 0 && !sawComma {
			return nil, p.errf("expected ',' or %q", end)
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		p.skipSpace()
		sawComma = false
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			sawComma = true
		}
	}
}

func (p *pyParser) dict(depth int) (pyValue, error) {
	p.pos++
	d := pyValue{kind: pyDict}
	sawComma := false
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return d, p.errf("unterminated dict")
		}
		if p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		if len(d.keys) > 0 && !sawComma {
			return d, p.errf("expected ',' or '}'")
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return d, err
		}
		if k.kind != pyStr {
			return d, p.errf("dict key is a %s, want a string", k.kind)
		}
		for _, old := range d.keys {
			if old.str == k.str {
				return d, p.errf("duplicate key %q", k.str)
			}
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return d, p.errf("expected ':' after key %q", k.str)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return d, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
		p.skipSpace()
		sawComma = false
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			sawComma = true
		}
	}
}

func (d pyValue) get(key string) (pyValue, bool) {
	for i, k := range d.keys {
		if k.str == key {
			return d.vals[i], true
		}
	}
	return pyValue{}, false
}
