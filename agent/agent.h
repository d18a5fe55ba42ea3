#ifndef HP_AGENT_H
#define HP_AGENT_H

#define HOTPATH_VERSION "0.1.0"

int agent_check(int argc, char **argv);

#endif
