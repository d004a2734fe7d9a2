package model

import "errors"

func newUNet(c NetConfig, in *initer) (Net, error) {
	return nil, errors.New("model: unet not implemented yet")
}
