package acctest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Attr returns an attribute of a resource in the state, or an error that names what is
// missing: checks never index the state blindly.
func Attr(s *terraform.State, address, attribute string) (string, error) {
	rs, ok := s.RootModule().Resources[address]
	if !ok || rs.Primary == nil {
		return "", fmt.Errorf("%s is not in the state", address)
	}
	v, ok := rs.Primary.Attributes[attribute]
	if !ok {
		return "", fmt.Errorf("%s has no attribute %s in the state", address, attribute)
	}
	return v, nil
}

// ID returns the id of a resource in the state.
func ID(s *terraform.State, address string) (string, error) { return Attr(s, address, "id") }

// KeepID is a check that copies the id of a resource into *id, for later steps.
func KeepID(address string, id *string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		v, err := ID(s, address)
		*id = v
		return err
	}
}

// ImportID is an ImportStateIdFunc that imports by the id of another resource.
func ImportID(address string) func(*terraform.State) (string, error) {
	return func(s *terraform.State) (string, error) { return ID(s, address) }
}
