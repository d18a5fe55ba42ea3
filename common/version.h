#ifndef HP_VERSION_H
#define HP_VERSION_H

/* One version for the controller and the agent it pushes. */
#define HOTPATH_VERSION "0.1.0"

#endif
