package model

import "errors"

func newEGNN(c NetConfig, in *initer) (Net, error) {
	return nil, errors.New("model: egnn not implemented yet")
}
