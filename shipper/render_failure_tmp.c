/* TEMPORARY until the render split lands */
#include <string.h>
#include "shipper.h"
void
renderer_failure(const Renderer *r, RenderFailure *out)
{
	memset(out, 0, sizeof(*out));
}
