# cmake -DIN=page.html -DOUT=page.html.gz -P gzip.cmake
# Gzip one file with CMake's own libarchive, so the device build needs no gzip program
# (ESP-IDF also builds on Windows). The page is served with Content-Encoding: gzip.
cmake_minimum_required(VERSION 3.19)
if(NOT IN OR NOT OUT)
    message(FATAL_ERROR "usage: cmake -DIN=FILE -DOUT=FILE.gz -P gzip.cmake")
endif()
file(ARCHIVE_CREATE OUTPUT "${OUT}" PATHS "${IN}" FORMAT raw COMPRESSION GZip COMPRESSION_LEVEL 9)
