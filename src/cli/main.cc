#include <iostream>
#include "lmm/version.h"
int main() { std::cout << lmm::VersionReport(); }
