package model_test

import (
	"fmt"
	"os"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
)

// One training step of the LJ13 EGNN on a flow-matching-style loss
// mean‖v_θ(y, s) − u‖², then a checkpoint round trip.
func Example() {
	net, err := model.New(model.NetConfig{Kind: model.KindEGNN, Particles: 13}, 1)
	if err != nil {
		panic(err)
	}
	opt, err := model.NewAdamW(model.DefaultAdamW(), net.Params())
	if err != nil {
		panic(err)
	}
	rng := tensor.NewRNG(2)
	y, s, u := tensor.RandN(rng, 4, 39), tensor.RandU(rng, 0, 1, 4, 1), tensor.RandN(rng, 4, 39)

	g := autodiff.NewGraph()
	p := model.Bind(g, net)
	v := net.Forward(g, p, g.Const(y), g.Const(s))
	loss := autodiff.Mean(autodiff.Square(autodiff.Sub(v, g.Const(u))))
	grads, err := autodiff.GradValues(loss, p...)
	if err != nil {
		panic(err)
	}
	if _, err := opt.Update(net.Params(), grads); err != nil {
		panic(err)
	}

	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	ck := &model.Checkpoint{Net: net.Config(), Params: net.Params(), Optim: opt, Step: opt.Step}
	if err := model.SaveCheckpoint(dir, ck); err != nil {
		panic(err)
	}
	back, err := model.LoadCheckpoint(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(net.Config().Hidden, net.Config().Layers, model.NumParams(net), back.Step, back.Params[0].Name)
	// Output: 64 1 18880 1 egnn.embed.weight
}
