package lang

// Inspect traverses the tree rooted at n depth first, in source order,
// calling f for every node. When f returns false, the children of that
// node are skipped. Absent optional children (a nil Topology, Every, ...)
// are not visited.
func Inspect(n Node, f func(Node) bool) {
	if isNil(n) || !f(n) {
		return
	}
	for _, c := range children(n) {
		Inspect(c, f)
	}
}

// isNil reports whether n is absent: a nil interface or a nil pointer in
// one.
func isNil(n Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *Ident:
		return n == nil
	case *StringLit:
		return n == nil
	case *CallExpr:
		return n == nil
	case *ModelHeader:
		return n == nil
	}
	return false
}

// children lists the direct children of n in source order.
func children(n Node) []Node {
	switch n := n.(type) {
	case *File:
		out := []Node{n.Model}
		for _, d := range n.Decls {
			out = append(out, d)
		}
		return out
	case *ModelHeader:
		return []Node{n.Name}
	case *ImportDecl:
		return []Node{n.Path}
	case *ConstDecl:
		return []Node{n.Name, n.Value}
	case *ParamDecl:
		return []Node{n.Name, n.Value}
	case *FuncDecl:
		out := []Node{n.Name}
		for _, p := range n.Params {
			out = append(out, p)
		}
		return append(out, n.Body)
	case *NeuronDecl:
		return append([]Node{n.Name, n.Base}, args(n.Params)...)
	case *SimDecl:
		return settings(n.Settings)
	case *LearnDecl:
		return settings(n.Settings)
	case *DatasetDecl:
		return append([]Node{n.Name}, settings(n.Settings)...)
	case *TaskDecl:
		return settings(n.Settings)
	case *Setting:
		out := make([]Node, 0, len(n.Key)+1)
		for _, k := range n.Key {
			out = append(out, k)
		}
		return append(out, n.Value)
	case *InputDecl:
		return []Node{n.Name, n.Size, n.Value}
	case *PopulationDecl:
		return append([]Node{n.Name, n.Size, n.Kind}, args(n.Args)...)
	case *ConnectDecl:
		return []Node{n.Src, n.Dst, n.Name, n.Topology, n.Init}
	case *TeacherDecl:
		if n.Data != nil {
			return []Node{n.Name, n.Size, n.Data}
		}
		return []Node{n.Name, n.Size, n.Source}
	case *EnergyDecl:
		out := make([]Node, len(n.Terms))
		for i, t := range n.Terms {
			out[i] = t
		}
		return out
	case *RecordDecl:
		out := make([]Node, 0, len(n.Items)+3)
		for _, it := range n.Items {
			out = append(out, it)
		}
		return append(out, n.Every, n.Unit, n.To)
	case *ListExpr:
		out := make([]Node, len(n.Elems))
		for i, e := range n.Elems {
			out[i] = e
		}
		return out
	case *ParenExpr:
		return []Node{n.X}
	case *SelectorExpr:
		return []Node{n.X, n.Sel}
	case *CallExpr:
		return append([]Node{n.Fun}, args(n.Args)...)
	case *Arg:
		return []Node{n.Name, n.Value}
	case *UnaryExpr:
		return []Node{n.X}
	case *BinaryExpr:
		return []Node{n.X, n.Y}
	}
	return nil
}

func args(list []*Arg) []Node {
	out := make([]Node, len(list))
	for i, a := range list {
		out[i] = a
	}
	return out
}

func settings(list []*Setting) []Node {
	out := make([]Node, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}
