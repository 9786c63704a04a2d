#include "aws.h"
