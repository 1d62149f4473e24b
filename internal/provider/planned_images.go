package provider

import "sync"

// plannedImages records, while a plan runs, the visibility each glance_image of this provider
// configuration is planned to have, by image id. glance_image_member reads it in its own plan:
// Terraform plans a member after the image its image_id refers to, and runs one provider
// process per provider configuration, so an image declared with the same provider
// configuration is always found. The zero value is ready to use; a nil one records nothing.
type plannedImages struct {
	mu         sync.Mutex
	visibility map[string]string
}

func (p *plannedImages) setVisibility(imageID, visibility string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.visibility == nil {
		p.visibility = map[string]string{}
	}
	p.visibility[imageID] = visibility
}

// plannedVisibility returns the visibility planned for the image; ok is false when no
// glance_image of this plan has that id.
func (p *plannedImages) plannedVisibility(imageID string) (visibility string, ok bool) {
	if p == nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	visibility, ok = p.visibility[imageID]
	return visibility, ok
}
