package plot

import (
	"strconv"
	"strings"
)

// Reading is one printed line understood as numbers: Values[i] belongs
// to the series named Labels[i]. Unlabelled numbers are named by their
// position among the line's unlabelled numbers, from "1".
type Reading struct {
	Labels []string
	Values []float64
}

// Parse reports whether line is a reading and, if it is, its numbers and
// their series names. A trailing "\r" or "\n" is ignored.
func Parse(line string) (Reading, bool) {
	line = strings.TrimRight(line, "\r\n")
	var r Reading
	unlabelled := 0
	rest := line
	for {
		start, end := nextNumber(rest)
		if start < 0 {
			break
		}
		label, ok := labelOf(rest[:start])
		if !ok {
			return Reading{}, false
		}
		v, err := strconv.ParseFloat(rest[start:end], 64)
		if err != nil {
			return Reading{}, false
		}
		if label == "" {
			unlabelled++
			label = strconv.Itoa(unlabelled)
		}
		r.Labels = append(r.Labels, label)
		r.Values = append(r.Values, v)
		rest = rest[end:]
	}
	if len(r.Values) == 0 || strings.TrimFunc(rest, isSeparator) != "" {
		return Reading{}, false
	}
	return r, true
}

// labelOf judges the text between two numbers (or before the first): only
// separators, or separators and a "name:" / "name=" label.
func labelOf(text string) (string, bool) {
	t := strings.TrimFunc(text, isSeparator)
	if t == "" {
		return "", true
	}
	last := t[len(t)-1]
	if last != ':' && last != '=' {
		return "", false
	}
	name := strings.TrimSpace(t[:len(t)-1])
	if name == "" || strings.ContainsAny(name, ":=,;|\t") {
		return "", false
	}
	return name, true
}

func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', ',', ';', '|':
		return true
	}
	return false
}

// nextNumber finds the first number in s that stands on its own (not the
// digits of a word such as "sensor2" or "0x1f"), as byte offsets, or -1.
func nextNumber(s string) (int, int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != '-' && c != '+' && c != '.' {
			continue
		}
		if i > 0 && isWordByte(s[i-1]) {
			// Inside a word: skip the rest of it.
			for i+1 < len(s) && (isWordByte(s[i+1]) || s[i+1] == '.') {
				i++
			}
			continue
		}
		end := scanNumber(s, i)
		if end < 0 {
			continue
		}
		if end < len(s) && (isWordByte(s[end]) || s[end] == '.') {
			for i+1 < len(s) && (isWordByte(s[i+1]) || s[i+1] == '.') {
				i++
			}
			continue
		}
		return i, end
	}
	return -1, -1
}

// scanNumber returns the end of a decimal number starting at i (optional
// sign, digits with an optional fraction, optional exponent), or -1.
func scanNumber(s string, i int) int {
	j := i
	if s[j] == '-' || s[j] == '+' {
		j++
	}
	digits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return -1
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '-' || s[k] == '+') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
