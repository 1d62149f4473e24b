package provider

import (
	"fmt"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// memberVisibilityProblem decides, at plan, about a membership of an image that is not
// shared. planned is the visibility a glance_image of the same plan declares (declared false
// when none of this provider configuration has that id); current is what Glance says now
// ("" when not read). A new membership of an image declared non-shared is an error (Glance
// refuses to create it); an existing one only a warning: Glance keeps it hidden while the image
// is not shared and it returns when the image is shared again. Without a declaration, a new
// membership of an image Glance has as non-shared is a warning, since another provider
// configuration may share it first in the same apply.
func memberVisibilityProblem(imageID, planned string, declared, creating bool, current string) *planProblem {
	switch {
	case declared && planned != "" && planned != glance.VisibilityShared && !creating:
		return &planProblem{Attribute: "image_id", Warning: true, Summary: "Membership Hidden While Image Is Not Shared",
			Detail: fmt.Sprintf("The configuration gives image %s visibility %q. Glance hides this membership while the image is not "+
				"shared and keeps it: it returns, with its status, once visibility = \"shared\" again.", imageID, planned)}
	case declared && planned != "" && planned != glance.VisibilityShared:
		return &planProblem{Attribute: "image_id", Summary: "Image Not Shared",
			Detail: fmt.Sprintf("The configuration gives image %s visibility %q, and only images with visibility \"shared\" can have members "+
				"(Glance hides, but keeps, the members of an image that is not shared). Set visibility = \"shared\" on the glance_image, "+
				"or remove this glance_image_member.", imageID, planned)}
	case !declared && creating && current != "" && current != glance.VisibilityShared:
		return &planProblem{Attribute: "image_id", Warning: true, Summary: "Image Not Shared",
			Detail: fmt.Sprintf("Image %s has visibility %q, and only images with visibility \"shared\" can have members: creating this "+
				"membership fails unless the image is made shared before. Set visibility = \"shared\" on the image.", imageID, current)}
	}
	return nil
}
