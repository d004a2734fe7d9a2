package infer

// Test hooks: reverse-sweep divergences even for a network with an
// analytic one (model.DivergenceNet), to cross-check the two.

// SetNoAnalytic makes f use autodiff.Divergence always.
func SetNoAnalytic(f *NetField) { f.noAnalytic = true }

// WithSweeps returns opt with reverse-sweep divergences when on.
func WithSweeps(opt NLLOptions, on bool) NLLOptions {
	opt.noAnalytic = on
	return opt
}
