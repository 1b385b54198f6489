package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseAxis(t *testing.T) {
	tests := []struct {
		in   string
		want Axis
		err  string
	}{
		{in: "lr=0.01,0.03,0.1", want: Axis{"lr", []string{"0.01", "0.03", "0.1"}}},
		{in: " h.tau_m = 0.5s, 1s ", want: Axis{"h.tau_m", []string{"0.5s", "1s"}}},
		{in: "method=le", want: Axis{"method", []string{"le"}}},
		{in: "seed=3,1,2", want: Axis{"seed", []string{"3", "1", "2"}}},
		{in: "sim.seed=4,5", want: Axis{"seed", []string{"4", "5"}}},
		{in: "lr.W0=1e-3", want: Axis{"lr.W0", []string{"1e-3"}}},
		{in: "W0=[[0.3, 0.1]],[[0.5, 0]]", want: Axis{"W0", []string{"[[0.3, 0.1]]", "[[0.5, 0]]"}}},
		{in: "W1=glorot(seed = 1, gain = 2),zeros()", want: Axis{"W1", []string{"glorot(seed = 1, gain = 2)", "zeros()"}}},
		{in: `W1=file("a,b.npy"),file("c.npy")`, want: Axis{"W1", []string{`file("a,b.npy")`, `file("c.npy")`}}},
		{in: `W1=file("a\",b"),1`, want: Axis{"W1", []string{`file("a\",b")`, "1"}}},
		{in: "x=a),b", want: Axis{"x", []string{"a)", "b"}}},
		{in: "lr", err: `not NAME=V1,V2,... (no '=')`},
		{in: "=1,2", err: `no setting name before '='`},
		{in: "lr=", err: `an empty value`},
		{in: "lr=0.1,,0.2", err: `an empty value`},
		{in: "lr=0.1,0.1", err: `value 0.1 given twice`},
		{in: "1lr=0.1", err: `setting name "1lr" is not a name`},
		{in: "h..tau=1", err: `has an empty part`},
		{in: "l r=1", err: `is not a name`},
		{in: "seed=1,x", err: `seed x is not a whole number`},
		{in: "seed=-1", err: `seed -1 is not a whole number`},
	}
	for _, tt := range tests {
		got, err := ParseAxis(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAxis(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Name != tt.want.Name || !slices.Equal(got.Values, tt.want.Values) {
			t.Errorf("ParseAxis(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "3", want: []string{"0", "1", "2"}},
		{in: "1", want: []string{"0"}},
		{in: "1,5,9", want: []string{"1", "5", "9"}},
		{in: "0", err: "neither a number of seeds"},
		{in: "-2", err: "neither a number of seeds"},
		{in: "ten", err: "neither a number of seeds"},
		{in: "1,1", err: "value 1 given twice"},
		{in: "1,a", err: "seed a is not a whole number"},
		{in: "1000001", err: "at most 100000 runs"},
	}
	for _, tt := range tests {
		got, err := ParseSeeds(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSeeds(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Name != SeedName || !slices.Equal(got.Values, tt.want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want seed=%v", tt.in, got, err, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	axes := []Axis{{"lr", []string{"a", "b", "c"}}, {"method", []string{"le", "gle"}}, {"seed", []string{"0", "1"}}}
	runs, err := Expand(axes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range runs {
		got = append(got, s.String())
	}
	// The first axis varies slowest, the last fastest.
	want := []string{
		"lr=a method=le seed=0", "lr=a method=le seed=1", "lr=a method=gle seed=0", "lr=a method=gle seed=1",
		"lr=b method=le seed=0", "lr=b method=le seed=1", "lr=b method=gle seed=0", "lr=b method=gle seed=1",
		"lr=c method=le seed=0", "lr=c method=le seed=1", "lr=c method=gle seed=0", "lr=c method=gle seed=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Expand =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for _, bad := range []struct {
		axes []Axis
		err  string
	}{
		{nil, "nothing to sweep"},
		{[]Axis{{"lr", []string{"1"}}, {"lr", []string{"2"}}}, "lr is swept twice"},
		{[]Axis{{"lr", nil}}, "lr has no values"},
		{[]Axis{{"a", make([]string, 1000)}, {"b", make([]string, 1000)}}, "more than 100000 runs"},
	} {
		if _, err := Expand(bad.axes); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("Expand(%v) error = %v, want one containing %q", bad.axes, err, bad.err)
		}
	}
}

func TestRunArgs(t *testing.T) {
	s := Settings{{"lr", "0.1"}, {"seed", "3"}, {"h.tau_m", "2s"}}
	got := RunArgs("/m/chain2.vle", s, []string{"--duration", "20s"})
	want := []string{"run", "/m/chain2.vle", "--set", "lr=0.1", "--seed", "3", "--set", "h.tau_m=2s", "--duration", "20s"}
	if !slices.Equal(got, want) {
		t.Errorf("RunArgs = %q, want %q", got, want)
	}
}

func TestSettingsJSON(t *testing.T) {
	s := Settings{{"z", "1"}, {"a", "x\"y"}, {"seed", "0"}}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":"1","a":"x\"y","seed":"0"}`; string(data) != want {
		t.Errorf("Marshal = %s, want %s", data, want)
	}
	var back Settings
	if err := json.Unmarshal(data, &back); err != nil || !slices.Equal(back, s) {
		t.Errorf("Unmarshal = %v, %v; want %v", back, err, s)
	}
	for _, bad := range []string{`[]`, `{"a":1}`, `{"a":"1"`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestDirName(t *testing.T) {
	tests := []struct {
		s    Settings
		want string
	}{
		{Settings{{"lr", "0.01"}, {"method", "le"}, {"seed", "3"}}, "lr=0.01_method=le_seed=3"},
		{Settings{{"h.tau_m", "0.5s"}}, "h.tau_m=0.5s"},
		{Settings{{"lr", "1e-3"}, {"x", "+2"}}, "lr=1e-3_x=+2"},
		{Settings{{"f", "a/b"}}, "f=a%2Fb"},
		{Settings{{"f", "a_b=c"}}, "f=a%5Fb%3Dc"},
		{Settings{{"f", ".."}}, "f=%2E."},
		{Settings{{"f", "x y%"}}, "f=x%20y%25"},
		{Settings{{"f", "é"}}, "f=%C3%A9"},
	}
	for _, tt := range tests {
		if got := DirName(tt.s); got != tt.want {
			t.Errorf("DirName(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}

	// Settings that a naive join would confuse get distinct names.
	tricky := []Settings{
		{{"a", "1_b=2"}},
		{{"a", "1"}, {"b", "2"}},
		{{"a_b", "1"}},
		{{"a", "b_1"}},
		{{"a", "b=1"}},
		{{"a", "%41"}},
		{{"a", "A"}},
	}
	seen := map[string]string{}
	for _, s := range tricky {
		name := DirName(s)
		if other, ok := seen[name]; ok {
			t.Errorf("%v and %s share the directory name %q", s, other, name)
		}
		seen[name] = s.String()
	}

	long := Settings{{"x", strings.Repeat("v", 300)}}
	long2 := Settings{{"x", strings.Repeat("v", 299) + "w"}}
	a, b := DirName(long), DirName(long2)
	if len(a) > maxDirName || len(b) > maxDirName || a == b {
		t.Errorf("long names: %d and %d bytes, equal %v; want at most %d bytes and distinct", len(a), len(b), a == b, maxDirName)
	}
}

func TestArraySpec(t *testing.T) {
	tests := []struct {
		ids  []int
		want string
	}{
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{3, 7, 9}, "3,7,9"},
		{[]int{9, 0, 1, 2, 5, 10, 11}, "0-2,5,9-11"},
		{[]int{4}, "4"},
	}
	for _, tt := range tests {
		if got := ArraySpec(tt.ids); got != tt.want {
			t.Errorf("ArraySpec(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	old, err := New("/m/a.vle", "/bin/vlec", "", []string{"--duration", "1s"}, []Axis{{"lr", []string{"1", "2"}}, {"seed", []string{"0", "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	next, err := New("/m/a.vle", "/new/vlec", "", []string{"--duration", "1s"}, []Axis{{"lr", []string{"2", "3"}}, {"seed", []string{"0", "1", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge(old, next)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range m.Runs {
		got = append(got, fmt.Sprintf("%d:%s", r.ID, r.Settings))
	}
	// The old runs keep their ids 0-3; the new ones follow, and the runs
	// are in the order of the merged grid.
	want := []string{
		"0:lr=1 seed=0", "1:lr=1 seed=1",
		"2:lr=2 seed=0", "3:lr=2 seed=1", "4:lr=2 seed=2",
		"5:lr=3 seed=0", "6:lr=3 seed=1", "7:lr=3 seed=2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("merged runs = %v, want %v", got, want)
	}
	if m.Vlec != "/new/vlec" || m.Grid[0].String() != "lr=1,2,3" || m.Grid[1].String() != "seed=0,1,2" {
		t.Errorf("merged vlec %s, grid %v", m.Vlec, m.Grid)
	}
	if len(old.Runs) != 4 {
		t.Errorf("Merge changed the old manifest: %d runs", len(old.Runs))
	}

	for _, tt := range []struct {
		model string
		fixed []string
		axes  []Axis
		err   string
	}{
		{"/m/b.vle", []string{"--duration", "1s"}, old.Grid, "its model is /m/a.vle, not /m/b.vle"},
		{"/m/a.vle", nil, old.Grid, `its runs get the flags "--duration 1s", not ""`},
		{"/m/a.vle", []string{"--duration", "1s"}, []Axis{{"lr", []string{"1"}}}, "it sweeps lr, seed, not lr"},
		{"/m/a.vle", []string{"--duration", "1s"}, []Axis{{"seed", []string{"0"}}, {"lr", []string{"1"}}}, "it sweeps lr, seed, not seed, lr"},
	} {
		other, err := New(tt.model, "/bin/vlec", "", tt.fixed, tt.axes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Merge(old, other); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Merge with %s %q %v: error %v, want one containing %q", tt.model, tt.fixed, tt.axes, err, tt.err)
		}
	}
}

func TestManifestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	m, err := New("/m/a.vle", "/bin/vlec", "", nil, []Axis{{"method", []string{"le", "gle"}}, {"seed", []string{"0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := back.Run(1)
	if !ok || r.Settings.String() != "method=gle seed=0" || r.Dir != "runs/method=gle_seed=0" {
		t.Errorf("run 1 after Save and Load: %+v", r)
	}
	want := []string{"run", "/m/a.vle", "--set", "method=gle", "--seed", "0", "-o", "/s/runs/method=gle_seed=0", "-q"}
	if got := r.Command("/s"); !slices.Equal(got, want) {
		t.Errorf("Command = %q, want %q", got, want)
	}

	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no sweep here") {
		t.Errorf("Load of an empty directory: %v", err)
	}

	// Hand-edited manifests that would run the wrong thing, or empty a
	// directory outside runs/, are refused.
	good, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	for _, tt := range []struct{ from, to, err string }{
		{`"format": "vlec sweep 1"`, `"format": "vlec sweep 0"`, "written by another version"},
		{`"id": 1`, `"id": 0`, "run id 0 is negative or given twice"},
		{`"dir": "runs/method=gle_seed=0"`, `"dir": "."`, "is not a directory in runs/"},
		{`"dir": "runs/method=gle_seed=0"`, `"dir": "runs/.."`, "is not a directory in runs/"},
		{`"dir": "runs/method=gle_seed=0"`, `"dir": "../x"`, "is not a directory in runs/"},
		{`"seed": "0"`, `"sed": "0"`, "do not match the grid's names"},
		{`"runs": [`, `"runs": 3, "x": [`, "not a sweep manifest"},
	} {
		bad := strings.Replace(string(good), tt.from, tt.to, 1)
		if bad == string(good) {
			t.Fatalf("%q is not in the manifest:\n%s", tt.from, good)
		}
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s -> %s: %v, want an error containing %q", tt.from, tt.to, err, tt.err)
		}
	}
}
