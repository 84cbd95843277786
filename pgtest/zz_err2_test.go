package pgtest

import "errors"

func errorsIs(err error) bool { return errors.Is(err, errPortInUse) }
