package store

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	vals := sampleValues()
	for name, v := range vals {
		data, err := json.Marshal(v)
		if err != nil {
			t.Errorf("%s: Marshal: %v", name, err)
			continue
		}
		var got Value
		if err := json.Unmarshal(data, &got); err != nil {
			t.Errorf("%s: Unmarshal(%s): %v", name, data, err)
			continue
		}
		if !got.Equal(v) {
			t.Errorf("%s: %s came back as %v, want %v", name, data, got, v)
		}
	}
	// -0.0 and the infinities survive; Equal checks the sign of zero.
	for _, f := range []float64{math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64} {
		data, _ := json.Marshal(FloatValue(f))
		var got Value
		if err := json.Unmarshal(data, &got); err != nil || !got.Equal(FloatValue(f)) {
			t.Errorf("float %v: %s -> %v, %v", f, data, got, err)
		}
	}

	file := encodeFile(vals)
	got, err := decodeFile("f", file)
	if err != nil {
		t.Fatalf("decodeFile: %v\n%s", err, file)
	}
	for name, v := range vals {
		if !got[name].Equal(v) {
			t.Errorf("file: %s = %v, want %v", name, got[name], v)
		}
	}
	if !json.Valid(file) {
		t.Error("store file is not valid JSON")
	}
}

func TestJSONStrict(t *testing.T) {
	bad := []string{
		`{}`,
		`{"int": 1, "str": "a"}`,
		`{"integer": 1}`,
		`{"int": 9223372036854775808}`,
		`{"int": 1.5}`,
		`{"int": "1"}`,
		`{"float": "NaN"}`,
		`{"float": true}`,
		`{"bool": 1}`,
		`{"none": 0}`,
		`{"str": 5}`,
		`{"bytes": "abc"}`,
		`{"bytes": "zz"}`,
		`{"list": {}}`,
		`{"list": [1]}`,
		`{"dict": {"a": {"none": null}, "a": {"none": null}}}`,
		`{"dict": [{"none": null}]}`,
		`{"str": "a"} {"str": "b"}`,
		strings.Repeat(`{"list": [`, 150) + strings.Repeat(`]}`, 150),
		`[`,
	}
	for _, in := range bad {
		var v Value
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("Unmarshal(%.60s) = %v, want an error", in, v)
		}
	}
	deep := IntValue(1)
	for range maxDepth + 1 {
		deep = ListValue(deep)
	}
	if _, err := json.Marshal(deep); err == nil {
		t.Error("Marshal of a too deep value: no error")
	}
}

func FuzzParsePythonDump(f *testing.F) {
	f.Add(dumpOutput(map[string]Value{"a": sampleValues()["nested"], "b": StrValue(trickyStrings[11])}))
	f.Add(DumpBegin + "\n=x [i1;f3ff0000000000000;sa%00;(NT){sk;a%ff;}]\n!y N\n!z T sock;\n" + DumpEnd + "\n")
	f.Add(DumpBegin + "\n=x g1e+16;\n=x s%e9;\n!%20 I\n" + DumpEnd)
	f.Fuzz(func(t *testing.T, out string) {
		vals, _ := ParsePythonDump(out)
		for name, v := range vals {
			if !ValidName(name) && strings.ContainsAny(name, " \r\n") {
				t.Errorf("parsed a name with a separator: %q", name)
			}
			redump := dumpOutput(map[string]Value{"x": v})
			again, err := ParsePythonDump(redump)
			if err != nil || !again["x"].Equal(v) {
				t.Errorf("%s = %v does not survive a second dump: %v, %v", name, v, again["x"], err)
			}
			if _, err := v.PythonLiteral(); err != nil {
				t.Errorf("%s: PythonLiteral: %v", name, err)
			}
		}
	})
}

func FuzzDecodeFile(f *testing.F) {
	f.Add(encodeFile(map[string]Value{"a": sampleValues()["nested"], "b": StrValue(trickyStrings[11])}))
	f.Add([]byte(`{"version": 1, "values": {"a": {"dict": {"k": {"tuple": [{"float": "nan"}, {"bytearray": "00"}]}}}}}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`{"version": 1, "values": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := decodeFile("f", data)
		if err != nil {
			return
		}
		again, err := decodeFile("f", encodeFile(vals))
		if err != nil {
			t.Fatalf("re-encoded file does not load: %v", err)
		}
		for name, v := range vals {
			if !again[name].Equal(v) {
				t.Errorf("%s = %v, reloaded as %v", name, v, again[name])
			}
		}
		if len(again) != len(vals) {
			t.Errorf("%d values, reloaded %d", len(vals), len(again))
		}
	})
}
