package experiments

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/infer"
)

// docDefault returns the code's default of a Go name quoted in the docs
// ("flow.Config.Alpha"), formatted as the docs write it; ok is false for a
// name the test does not know, which fails the test (so a new row of the
// table must be made checkable here).
func docDefault(name string) (string, bool) {
	structs := map[string]any{
		"flow.Config":         flow.Default(),
		"experiments.Options": DefaultOptions(),
	}
	if i := strings.LastIndex(name, "."); i > 0 {
		if s, ok := structs[name[:i]]; ok {
			f := reflect.ValueOf(s).FieldByName(name[i+1:])
			if !f.IsValid() {
				return "", false
			}
			switch f.Kind() {
			case reflect.Float64:
				return strconv.FormatFloat(f.Float(), 'g', -1, 64), true
			case reflect.String, reflect.Bool:
				return fmt.Sprint(f.Interface()), true
			}
			return "", false
		}
	}
	switch name {
	case "energy.FormationGraph":
		var g energy.FormationGraph // the zero value is the default
		if g == energy.CompleteGraph {
			return "complete", true
		}
		return fmt.Sprint(int(g)), true
	case "infer.Options.Method":
		if m := (infer.Options{}).Method; m != "" {
			return m, true
		}
		return "auto", true // "" chooses by dimension (infer.ExactMaxDim)
	case "infer.ExactMaxDim":
		return strconv.Itoa(infer.ExactMaxDim), true
	}
	return "", false
}

// TestDocsDefaults: every default quoted in docs/MATH.md's "Every [choice]
// at a glance" table equals the code's, so the docs cannot drift.
func TestDocsDefaults(t *testing.T) {
	b, err := os.ReadFile("../../docs/MATH.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "## Every [choice] at a glance")
	if i < 0 {
		t.Fatal(`docs/MATH.md has no "## Every [choice] at a glance" section`)
	}
	doc = doc[i:]
	if j := strings.Index(doc, "\n---"); j > 0 {
		doc = doc[:j]
	}
	ticks := regexp.MustCompile("`([^`]+)`")
	bracketed := regexp.MustCompile(`\[` + "`[^`]*`" + `\]`)
	goName := regexp.MustCompile(`^[a-z]+\.[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)?$`)
	rows := 0
	for _, line := range strings.Split(doc, "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != 5 || strings.HasPrefix(strings.TrimSpace(cols[1]), "---") || strings.Contains(cols[3], "default") {
			continue
		}
		var names, values []string
		for _, m := range ticks.FindAllStringSubmatch(bracketed.ReplaceAllString(cols[2], ""), -1) {
			if goName.MatchString(m[1]) {
				names = append(names, m[1])
			}
		}
		for _, m := range ticks.FindAllStringSubmatch(cols[3], -1) {
			values = append(values, m[1])
		}
		if len(names) == 0 || len(names) != len(values) {
			t.Errorf("row %q: %d Go names and %d quoted defaults, want the same number ≥ 1", strings.TrimSpace(cols[1]), len(names), len(values))
			continue
		}
		for k, name := range names {
			got, ok := docDefault(name)
			switch {
			case !ok:
				t.Errorf("row %q: %s is not a default the test knows (add it to docDefault)", strings.TrimSpace(cols[1]), name)
			case got != values[k]:
				t.Errorf("docs/MATH.md says %s defaults to %q; the code has %q", name, values[k], got)
			}
		}
		rows++
	}
	if rows < 10 {
		t.Errorf("parsed %d rows of the [choice] table; the table was not found or its format changed", rows)
	}
}
