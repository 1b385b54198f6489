package hdf5

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A File is an HDF5 file in memory: a tree of groups and datasets under
// its root group.
type File struct {
	Root *Group
}

// NewFile returns a file with an empty root group.
func NewFile() *File { return &File{Root: &Group{}} }

// A Group holds named subgroups and datasets (its links; a name is
// either a group or a dataset) and attributes. The zero Group is an
// empty group ready to use.
type Group struct {
	groups   map[string]*Group
	datasets map[string]*Dataset
	attrs    map[string]*Value
}

// A Dataset is a named Value in a group, with attributes of its own.
type Dataset struct {
	*Value
	attrs map[string]*Value
}

// Group returns the subgroup called name, creating it (and replacing a
// dataset of that name) if there is none.
func (g *Group) Group(name string) *Group {
	if sub, ok := g.groups[name]; ok {
		return sub
	}
	sub := &Group{}
	if g.groups == nil {
		g.groups = map[string]*Group{}
	}
	delete(g.datasets, name)
	g.groups[name] = sub
	return sub
}

// Set stores v as the dataset called name, replacing any group or
// dataset of that name, and returns the dataset (to which attributes
// can be added). The name is checked when the file is written: it must
// be non-empty, valid UTF-8, and contain neither '/' nor NUL, and not
// be ".".
func (g *Group) Set(name string, v *Value) *Dataset {
	d := &Dataset{Value: v}
	if g.datasets == nil {
		g.datasets = map[string]*Dataset{}
	}
	delete(g.groups, name)
	g.datasets[name] = d
	return d
}

// SetFloat64 stores a float64 dataset; an empty shape makes a scalar.
func (g *Group) SetFloat64(name string, shape []int, v []float64) *Dataset {
	return g.Set(name, NewFloat64(shape, v))
}

// SetFloat32 stores a float32 dataset.
func (g *Group) SetFloat32(name string, shape []int, v []float32) *Dataset {
	return g.Set(name, NewFloat32(shape, v))
}

// SetInt64 stores an int64 dataset.
func (g *Group) SetInt64(name string, shape []int, v []int64) *Dataset {
	return g.Set(name, NewInt64(shape, v))
}

// SetString stores a scalar variable-length UTF-8 string dataset.
func (g *Group) SetString(name, s string) *Dataset {
	return g.Set(name, NewString(s))
}

// SetStrings stores an array of variable-length UTF-8 strings.
func (g *Group) SetStrings(name string, shape []int, v []string) *Dataset {
	return g.Set(name, NewStrings(shape, v))
}

// Delete removes the group or dataset called name, if any.
func (g *Group) Delete(name string) {
	delete(g.groups, name)
	delete(g.datasets, name)
}

// Groups returns the names of the subgroups, sorted.
func (g *Group) Groups() []string { return slices.Sorted(maps.Keys(g.groups)) }

// Datasets returns the names of the datasets, sorted.
func (g *Group) Datasets() []string { return slices.Sorted(maps.Keys(g.datasets)) }

// Names returns the names of all links (subgroups and datasets), sorted
// by their bytes: the order in which they are written.
func (g *Group) Names() []string {
	names := slices.Collect(maps.Keys(g.groups))
	names = slices.AppendSeq(names, maps.Keys(g.datasets))
	slices.Sort(names)
	return names
}

// Len is the number of links (subgroups and datasets).
func (g *Group) Len() int { return len(g.groups) + len(g.datasets) }

// OpenGroup returns the group at path, a '/'-separated list of names
// relative to g; it creates nothing.
func (g *Group) OpenGroup(path string) (*Group, error) {
	cur := g
	for _, name := range splitPath(path) {
		sub, ok := cur.groups[name]
		if !ok {
			return nil, fmt.Errorf("hdf5: no group %q (in %q)", name, path)
		}
		cur = sub
	}
	return cur, nil
}

// Dataset returns the dataset at path, a '/'-separated list of names
// relative to g.
func (g *Group) Dataset(path string) (*Dataset, error) {
	names := splitPath(path)
	if len(names) == 0 {
		return nil, fmt.Errorf("hdf5: empty dataset path")
	}
	parent, err := g.OpenGroup(strings.Join(names[:len(names)-1], "/"))
	if err != nil {
		return nil, err
	}
	d, ok := parent.datasets[names[len(names)-1]]
	if !ok {
		return nil, fmt.Errorf("hdf5: no dataset %q", path)
	}
	return d, nil
}

func splitPath(path string) []string {
	var names []string
	for _, s := range strings.Split(path, "/") {
		if s != "" && s != "." {
			names = append(names, s)
		}
	}
	return names
}

// SetAttr sets the attribute called name (replacing one of that name).
func (g *Group) SetAttr(name string, v *Value) { g.attrs = setAttr(g.attrs, name, v) }

// Attr returns the attribute called name, or nil.
func (g *Group) Attr(name string) *Value { return g.attrs[name] }

// AttrNames returns the names of the attributes, sorted.
func (g *Group) AttrNames() []string { return slices.Sorted(maps.Keys(g.attrs)) }

// SetAttr sets the attribute called name (replacing one of that name)
// and returns d.
func (d *Dataset) SetAttr(name string, v *Value) *Dataset {
	d.attrs = setAttr(d.attrs, name, v)
	return d
}

// Attr returns the attribute called name, or nil.
func (d *Dataset) Attr(name string) *Value { return d.attrs[name] }

// AttrNames returns the names of the attributes, sorted.
func (d *Dataset) AttrNames() []string { return slices.Sorted(maps.Keys(d.attrs)) }

func setAttr(m map[string]*Value, name string, v *Value) map[string]*Value {
	if m == nil {
		m = map[string]*Value{}
	}
	m[name] = v
	return m
}
