package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

func TestUNetShapes(t *testing.T) {
	net, err := New(NetConfig{Kind: "unet"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := net.Config()
	if c.Dim != 784 || net.Dim() != 784 {
		t.Fatalf("config %+v", c)
	}
	rng := tensor.NewRNG(2)
	y, s := tensor.RandN(rng, 2, 784), tensor.RandU(rng, 0, 1, 2, 1)
	v := forward(t, net, y, s)
	if !cmp.Equal(v.Shape, []int{2, 784}) {
		t.Fatalf("output shape %v", v.Shape)
	}
	// Samples are independent (group norm normalises per sample): the
	// second image alone gives the same field up to rounding.
	v1 := forward(t, net, y.Rows(1, 2).Clone(), s.Rows(1, 2).Clone())
	if d := cmp.Diff(v.Data[784:], v1.Data, cmpopts.EquateApprox(0, 1e-13)); d != "" {
		t.Errorf("batch coupling: %s", d)
	}
	// Three resolutions on 28×28 need divisibility by 4; 28 works.
	net3, err := New(NetConfig{Kind: "unet", Channels: []int{8, 16, 16}, Groups: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v := forward(t, net3, y, s); !cmp.Equal(v.Shape, []int{2, 784}) {
		t.Errorf("3-level output shape %v", v.Shape)
	}
}

func TestUNetGradient(t *testing.T) {
	net, err := New(NetConfig{Kind: "unet", Channels: []int{4, 6}, Groups: 2, Height: 8, Width: 8, TimeEmbed: 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Give the group-norm affine maps non-trivial values so their gradients
	// are tested away from the initial (1, 0).
	rng := tensor.NewRNG(6)
	for _, p := range net.Params() {
		if p.Value.Dims() == 1 {
			for i := range p.Value.Data {
				p.Value.Data[i] += 0.3 * rng.NormFloat64()
			}
		}
	}
	gradCheck(t, net, tensor.RandN(rng, 2, 64), tensor.RandU(rng, 0, 1, 2, 1), 2, 13)
}
